# SPDX-License-Identifier: MIT
"""WMI methods the simulator implements (Invoke), with Windows' ReturnValue codes.

Each method: (static, function(store, cls, instance, args) -> [(name, cimtype, value)], input types).
Output parameters are listed in the order the WMI plug-in writes them (alphabetical).
"""

import datetime
import ntpath

# Win32_Service control return values (Win32_Service.StartService documentation).
SUCCESS = 0
NOT_SUPPORTED = 1
DEPENDENT_SERVICES_RUNNING = 3
CANNOT_ACCEPT_CONTROL = 5
NOT_ACTIVE = 6
ALREADY_RUNNING = 10
SERVICE_DISABLED = 14
INVALID_PARAMETER = 21
ALREADY_PAUSED = 24


def _rv(code):
    return [("ReturnValue", "uint32", code)]


def start_service(store, cls, svc, args):
    if svc["State"] in ("Running", "Paused"):
        return _rv(ALREADY_RUNNING)
    if svc.get("StartMode") == "Disabled":
        return _rv(SERVICE_DISABLED)
    svc.update(State="Running", Started=True, Status="OK", ProcessId=store.new_pid())
    return _rv(SUCCESS)


def stop_service(store, cls, svc, args):
    if svc["State"] == "Stopped":
        return _rv(CANNOT_ACCEPT_CONTROL)
    if not svc.get("AcceptStop", True):
        return _rv(CANNOT_ACCEPT_CONTROL)
    deps = store.cls("Win32_DependentService")
    if deps is not None:
        for assoc in deps.instances:
            if store.refers_to(assoc.get("Antecedent"), cls, svc):
                _, dep = store.deref(deps.types["Dependent"], assoc.get("Dependent"))
                if dep is not None and dep.get("State") == "Running":
                    return _rv(DEPENDENT_SERVICES_RUNNING)
    svc.update(State="Stopped", Started=False, ProcessId=0)
    return _rv(SUCCESS)


def pause_service(store, cls, svc, args):
    if svc["State"] == "Paused":
        return _rv(ALREADY_PAUSED)
    if svc["State"] != "Running":
        return _rv(NOT_ACTIVE)
    if not svc.get("AcceptPause"):
        return _rv(CANNOT_ACCEPT_CONTROL)
    svc["State"] = "Paused"
    return _rv(SUCCESS)


def resume_service(store, cls, svc, args):
    if svc["State"] != "Paused":
        return _rv(NOT_ACTIVE)
    svc["State"] = "Running"
    return _rv(SUCCESS)


START_MODES = {"boot": "Boot", "system": "System", "automatic": "Auto", "manual": "Manual", "disabled": "Disabled"}


def change_start_mode(store, cls, svc, args):
    mode = START_MODES.get((args.get("StartMode") or "").lower())
    if mode is None:
        return _rv(INVALID_PARAMETER)
    svc["StartMode"] = mode
    return _rv(SUCCESS)


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def process_instance(pid, command_line, directory=None, parent=4, name=None):
    exe = command_line.strip().split('"')[1] if command_line.strip().startswith('"') else command_line.split()[0]
    name = name or ntpath.basename(exe)
    path = exe if ntpath.isabs(exe) else ntpath.join("C:\\Windows\\System32", exe)
    return {
        "Caption": name, "CommandLine": command_line, "CreationClassName": "Win32_Process",
        "CreationDate": _now(), "CSCreationClassName": "Win32_ComputerSystem", "CSName": "WINRM-SIM",
        "Description": name, "ExecutablePath": path, "ExecutionState": None, "Handle": str(pid),
        "HandleCount": 120, "InstallDate": None, "KernelModeTime": 156250, "MaximumWorkingSetSize": 1380,
        "MinimumWorkingSetSize": 200, "Name": name, "OSCreationClassName": "Win32_OperatingSystem",
        "OSName": "Microsoft Windows Server 2019 Datacenter|C:\\Windows|\\Device\\Harddisk0\\Partition2",
        "OtherOperationCount": 120, "OtherTransferCount": 2048, "PageFaults": 1500, "PageFileUsage": 1800,
        "ParentProcessId": parent, "PeakPageFileUsage": 1900, "PeakVirtualSize": 2203386183680,
        "PeakWorkingSetSize": 6100, "Priority": 8, "PrivatePageCount": 1843200, "ProcessId": pid,
        "QuotaNonPagedPoolUsage": 9, "QuotaPagedPoolUsage": 120, "QuotaPeakNonPagedPoolUsage": 10,
        "QuotaPeakPagedPoolUsage": 121, "ReadOperationCount": 5, "ReadTransferCount": 40960, "SessionId": 0,
        "Status": None, "TerminationDate": None, "ThreadCount": 3, "UserModeTime": 0,
        "VirtualSize": 2203379892224, "WindowsVersion": "10.0.17763", "WorkingSetSize": 6246400,
        "WriteOperationCount": 0, "WriteTransferCount": 0,
    }


def generated_processes(count):
    """--processes N: N extra Win32_Process instances for large enumerations."""
    out = []
    for i in range(count):
        pid = 100000 + 4 * i
        inst = process_instance(pid, "C:\\Sim\\simproc%05d.exe --worker %d" % (i, i), name="simproc%05d.exe" % i)
        inst["CreationDate"] = "2024-01-01T10:00:00.000000Z"
        out.append(inst)
    return out


def create_process(store, cls, inst, args):
    cmd = args.get("CommandLine")
    if not cmd or not cmd.strip():
        return [("ProcessId", "uint32", 0)] + _rv(INVALID_PARAMETER)
    pid = store.new_pid()
    new = process_instance(pid, cmd, args.get("CurrentDirectory"))
    new["CSName"] = getattr(store, "computer_name", new["CSName"])
    cls.instances.append(new)
    return [("ProcessId", "uint32", pid)] + _rv(SUCCESS)


def terminate_process(store, cls, proc, args):
    cls.instances.remove(proc)
    return _rv(SUCCESS)


def os_reboot(store, cls, inst, args):
    return _rv(SUCCESS)


METHODS = {
    ("win32_service", "startservice"): (False, start_service, {}),
    ("win32_service", "stopservice"): (False, stop_service, {}),
    ("win32_service", "pauseservice"): (False, pause_service, {}),
    ("win32_service", "resumeservice"): (False, resume_service, {}),
    ("win32_service", "changestartmode"): (False, change_start_mode, {"StartMode": "string"}),
    ("win32_process", "create"): (True, create_process, {"CommandLine": "string", "CurrentDirectory": "string",
                                                         "ProcessStartupInformation": "string"}),
    ("win32_process", "terminate"): (False, terminate_process, {"Reason": "uint32"}),
    ("win32_operatingsystem", "reboot"): (False, os_reboot, {}),
}


def lookup(class_name, method):
    return METHODS.get((class_name.lower(), method.lower()))
