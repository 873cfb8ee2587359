# SPDX-License-Identifier: MIT
"""winrmsim: a WinRM (WS-Management) host simulator that behaves like a Windows WinRM service.

Entry point: spec/sim/winrm-sim (see spec/sim/README.md).
"""

__version__ = "1.0"
