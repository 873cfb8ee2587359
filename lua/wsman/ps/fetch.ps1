# SPDX-License-Identifier: MIT
#lua-wsman:fetch
# lua-wsman's file download (session:fetch, `wsman fetch`), run as the script of a PowerShell
# Remoting pipeline. Arguments: the source path, whether to expand %VARIABLES% in it, and the
# chunk size in bytes. Outputs the file as base64 strings of that many bytes each, then the
# lower-case hex SHA-1 of the whole file, which the client compares with its own.
param([string]$Path, [bool]$ExpandVariables, [int]$ChunkSize = 65536)

$ErrorActionPreference = 'Stop'
if ($ExpandVariables) {
    $Path = [System.Environment]::ExpandEnvironmentVariables($Path)
}
$Path = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
if (Test-Path -LiteralPath $Path -PathType Container) {
    throw "The path at '$Path' is a directory, src must be a file"
}
if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
    throw "The path at '$Path' does not exist"
}
$sha1 = New-Object -TypeName System.Security.Cryptography.SHA1CryptoServiceProvider
$buffer = New-Object -TypeName byte[] -ArgumentList $ChunkSize
$stream = [System.IO.File]::OpenRead($Path)
try {
    while (($read = $stream.Read($buffer, 0, $ChunkSize)) -gt 0) {
        $sha1.TransformBlock($buffer, 0, $read, $buffer, 0) > $null
        [System.Convert]::ToBase64String($buffer, 0, $read)
    }
} finally {
    $stream.Dispose()
}
$sha1.TransformFinalBlock([byte[]]@(), 0, 0) > $null
[System.BitConverter]::ToString($sha1.Hash).Replace('-', '').ToLowerInvariant()
