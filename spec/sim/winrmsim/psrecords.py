# SPDX-License-Identifier: MIT
"""PowerShell objects the PSRP plug-in sends, in the shapes of the real recordings
(shared/captures/windows-pypsrp/test_psrp_*.yml): ErrorRecord, Warning/Verbose/Debug records,
InformationRecord, ProgressRecord, pipeline/runspace state bodies, host calls, ServiceController and
Process objects. Property values are emulated (see README "unproven on Windows")."""

import datetime

from .clixml import PSObject, Value, enum

EXCEPTION_TN = ["System.SystemException", "System.Exception", "System.Object"]
RUNTIME_EXCEPTION = "System.Management.Automation.RuntimeException"
HRESULT_COR_E_EXCEPTION = -2146233087
DICT_TN = ["System.Collections.Generic.Dictionary`2[[System.String, mscorlib, Version=4.0.0.0, Culture=neutral, "
           "PublicKeyToken=b77a5c561934e089],[System.Object, mscorlib, Version=4.0.0.0, Culture=neutral, "
           "PublicKeyToken=b77a5c561934e089]]", "System.Object"]
LIST_TN = ["System.Collections.Generic.List`1[[System.Object, mscorlib, Version=4.0.0.0, Culture=neutral, "
           "PublicKeyToken=b77a5c561934e089]]", "System.Object"]

# ErrorCategory values (System.Management.Automation.ErrorCategory)
CATEGORY = {"NotSpecified": 0, "ObjectNotFound": 13, "OperationStopped": 14, "ParserError": 17,
            "InvalidOperation": 8, "PermissionDenied": 18, "InvalidArgument": 5, "ResourceUnavailable": 28}

# PSInvocationState (2.2.3.4) and RunspacePoolState (2.2.3.4)
PIPELINE_NOT_STARTED, PIPELINE_RUNNING, PIPELINE_STOPPING, PIPELINE_STOPPED, PIPELINE_COMPLETED, \
    PIPELINE_FAILED, PIPELINE_DISCONNECTED = range(7)
POOL_BEFORE_OPEN, POOL_OPENING, POOL_OPENED, POOL_CLOSED, POOL_CLOSING, POOL_BROKEN = range(6)

# RemoteHostMethodId (2.2.3.17)
HOST_METHODS = {
    "GetName": 1, "SetShouldExit": 6, "ReadLine": 11, "ReadLineAsSecureString": 12, "Write1": 13, "Write2": 14,
    "WriteLine1": 15, "WriteLine2": 16, "WriteLine3": 17, "WriteErrorLine": 18, "WriteDebugLine": 19,
    "WriteProgress": 20, "WriteVerboseLine": 21, "WriteWarningLine": 22, "Prompt": 23,
    "PromptForCredential1": 24, "PromptForChoice": 26,
    # the raw UI ($host.UI.RawUI, psrawui.py)
    "GetForegroundColor": 27, "SetForegroundColor": 28, "GetBackgroundColor": 29, "SetBackgroundColor": 30,
    "GetCursorPosition": 31, "SetCursorPosition": 32, "GetWindowPosition": 33, "SetWindowPosition": 34,
    "GetCursorSize": 35, "SetCursorSize": 36, "GetBufferSize": 37, "SetBufferSize": 38, "GetWindowSize": 39,
    "SetWindowSize": 40, "GetWindowTitle": 41, "SetWindowTitle": 42, "GetMaxWindowSize": 43,
    "GetMaxPhysicalWindowSize": 44, "GetKeyAvailable": 45, "ReadKey": 46, "FlushInputBuffer": 47,
}


def _invocation_info(script):
    return PSObject(["System.Management.Automation.InvocationInfo", "System.Object"],
                    "System.Management.Automation.InvocationInfo", props={
                        "MyCommand": script, "BoundParameters": PSObject(DICT_TN, value={}),
                        "UnboundArguments": PSObject(LIST_TN, value=[]), "ScriptLineNumber": 0, "OffsetInLine": 0,
                        "HistoryId": Value("I64", 1), "ScriptName": "", "Line": "", "PositionMessage": "",
                        "PSScriptRoot": "", "PSCommandPath": None, "InvocationName": "", "PipelineLength": 0,
                        "PipelinePosition": 0, "ExpectingInput": False, "CommandOrigin": "Internal",
                        "DisplayScriptPosition": None})


def error_record(message, exception="Microsoft.PowerShell.Commands.WriteErrorException", bases=None,
                 category="NotSpecified", activity="Write-Error", reason=None, fqid=None, target=None,
                 script="", thrown=False, write_stream=True):
    """An ErrorRecord as PowerShell serialises it (ERROR_RECORD body, or ExceptionAsErrorRecord)."""
    short = exception.rsplit(".", 1)[-1]
    exc_props = {"Message": message,
                 "Data": PSObject(["System.Collections.ListDictionaryInternal", "System.Object"], value={}),
                 "InnerException": None, "TargetSite": None, "StackTrace": None, "HelpLink": None, "Source": None,
                 "HResult": HRESULT_COR_E_EXCEPTION}
    if exception == RUNTIME_EXCEPTION or bases:
        exc_props = dict({"ErrorRecord": message, "WasThrownFromThrowStatement": thrown}, **exc_props)
    exc = PSObject([exception] + (bases or []) + EXCEPTION_TN, "%s: %s" % (exception, message), props=exc_props)
    reason = reason or short
    target_text = "" if target is None else str(target)
    ms = {}
    if write_stream:
        ms["writeErrorStream"] = True
    ms.update({
        "Exception": exc, "TargetObject": target, "FullyQualifiedErrorId": fqid or exception,
        "InvocationInfo": _invocation_info(script), "ErrorCategory_Category": CATEGORY.get(category, 0),
        "ErrorCategory_Activity": activity, "ErrorCategory_Reason": reason,
        "ErrorCategory_TargetName": target_text, "ErrorCategory_TargetType": "String" if target is not None else "",
        "ErrorCategory_Message": "%s: (%s:%s) [%s], %s" % (category, target_text, "String" if target is not None
                                                           else "", activity, reason),
        "SerializeExtendedInfo": False,
    })
    return PSObject(["System.Management.Automation.ErrorRecord", "System.Object"], message, extended=ms)


def runtime_error(message, script="", thrown=True, category="OperationStopped"):
    """A `throw "text"` as a terminating error (the recordings' fetch/copy failures)."""
    return error_record(message, RUNTIME_EXCEPTION, category=category, activity="", reason="RuntimeException",
                        fqid=message, target=message, script=script, thrown=thrown, write_stream=False)


def informational(kind, message):
    """WarningRecord / VerboseRecord / DebugRecord (no invocation info)."""
    return PSObject(["System.Management.Automation.%sRecord" % kind,
                     "System.Management.Automation.InformationalRecord", "System.Object"], message,
                    extended={"InformationalRecord_Message": message,
                              "InformationalRecord_SerializeInvocationInfo": False})


def information_record(message, source, user, computer, tags=()):
    return PSObject(extended={
        "MessageData": message, "Source": source, "TimeGenerated": Value("DT", now_text()),
        "Tags": PSObject(["System.Collections.Generic.List`1[[System.String, mscorlib, Version=4.0.0.0, "
                          "Culture=neutral, PublicKeyToken=b77a5c561934e089]]", "System.Object"], value=list(tags)),
        "User": user, "Computer": computer, "ProcessId": Value("U32", 4242), "NativeThreadId": Value("U32", 1),
        "ManagedThreadId": Value("U32", 7)})


def progress_record(activity, status, percent=-1, activity_id=0, completed=False, operation=None):
    return PSObject(extended={
        "Activity": activity, "ActivityId": activity_id, "StatusDescription": status,
        "CurrentOperation": operation, "ParentActivityId": -1, "PercentComplete": percent,
        "Type": enum(["System.Management.Automation.ProgressRecordType"], "Completed" if completed
                     else "Processing", 1 if completed else 0),
        "SecondsRemaining": -1})


def host_call(call_id, method, params):
    return PSObject(extended={
        "ci": Value("I64", call_id),
        "mi": enum(["System.Management.Automation.Remoting.RemoteHostMethodId"], method, HOST_METHODS[method]),
        "mp": PSObject(["System.Collections.ArrayList", "System.Object"], value=list(params))})


def pipeline_state(state, error=None):
    ms = {"PipelineState": state}
    if error is not None:
        ms["ExceptionAsErrorRecord"] = error
    return PSObject(extended=ms)


def pool_state(state, error=None):
    ms = {"RunspaceState": state}
    if error is not None:
        ms["ExceptionAsErrorRecord"] = error
    return PSObject(extended=ms)


SERVICE_STATUS = {"Stopped": 1, "Start Pending": 2, "Stop Pending": 3, "Running": 4, "Continue Pending": 5,
                  "Pause Pending": 6, "Paused": 7}
START_TYPE = {"Boot": 0, "System": 1, "Auto": 2, "Manual": 3, "Disabled": 4}
SERVICE_TYPE = {"Kernel Driver": 1, "File System Driver": 2, "Own Process": 16, "Share Process": 32}


def service(inst, machine="."):
    """A deserialized System.ServiceProcess.ServiceController from a Win32_Service instance."""
    status = inst.get("State") or "Stopped"
    start = "Automatic" if inst.get("StartMode") == "Auto" else inst.get("StartMode") or "Manual"
    stype = inst.get("ServiceType") or "Own Process"
    stype_name = {"Own Process": "Win32OwnProcess", "Share Process": "Win32ShareProcess"}.get(stype, stype)
    tn = ["Deserialized.System.ServiceProcess.ServiceController", "Deserialized.System.ComponentModel.Component",
          "Deserialized.System.MarshalByRefObject", "Deserialized.System.Object"]
    return PSObject(tn, "System.ServiceProcess.ServiceController", props={
        "CanPauseAndContinue": bool(inst.get("AcceptPause")), "CanShutdown": False,
        "CanStop": bool(inst.get("AcceptStop")), "DisplayName": inst.get("DisplayName"),
        "DependentServices": [], "MachineName": machine, "ServiceName": inst.get("Name"),
        "ServicesDependedOn": [], "ServiceHandle": None,
        "Status": enum(["System.ServiceProcess.ServiceControllerStatus"], status.replace(" ", ""),
                       SERVICE_STATUS.get(status, 1)),
        "ServiceType": enum(["System.ServiceProcess.ServiceType"], stype_name, SERVICE_TYPE.get(stype, 16)),
        "StartType": enum(["System.ServiceProcess.ServiceStartMode"], start,
                          START_TYPE.get(inst.get("StartMode") or "Manual", 3)),
        "Site": None, "Container": None,
    }, extended={"Name": inst.get("Name"), "RequiredServices": []})


def process(inst):
    """A deserialized System.Diagnostics.Process from a Win32_Process instance."""
    name = inst.get("Name") or ""
    short = name[:-4] if name.lower().endswith(".exe") else name
    tn = ["Deserialized.System.Diagnostics.Process", "Deserialized.System.ComponentModel.Component",
          "Deserialized.System.MarshalByRefObject", "Deserialized.System.Object"]
    ws = int(inst.get("WorkingSetSize") or 0)
    return PSObject(tn, "System.Diagnostics.Process (%s)" % short, props={
        "Id": int(inst.get("ProcessId") or 0), "ProcessName": short, "Handles": int(inst.get("HandleCount") or 0),
        "BasePriority": int(inst.get("Priority") or 8), "HandleCount": int(inst.get("HandleCount") or 0),
        "WorkingSet64": Value("I64", ws), "PagedMemorySize64": Value("I64", int(inst.get("PageFileUsage") or 0)),
        "VirtualMemorySize64": Value("I64", int(inst.get("VirtualSize") or 0)), "Path": inst.get("ExecutablePath"),
        "SessionId": int(inst.get("SessionId") or 0), "MachineName": ".",
    }, extended={"Name": short, "WS": Value("I64", ws), "CPU": None, "Path": inst.get("ExecutablePath")})


def history_info(number, command_line, state, started, ended):
    """Get-History's HistoryInfo (test_psrp_with_history.yml)."""
    status = {PIPELINE_COMPLETED: "Completed", PIPELINE_FAILED: "Failed", PIPELINE_STOPPED: "Stopped"}
    return PSObject(["Microsoft.PowerShell.Commands.HistoryInfo", "System.Object"], command_line, props={
        "Id": Value("I64", number), "CommandLine": command_line, "ExecutionStatus": status.get(state, "Completed"),
        "StartExecutionTime": Value("DT", started), "EndExecutionTime": Value("DT", ended)})


def now_text():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()
