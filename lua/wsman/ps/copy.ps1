# SPDX-License-Identifier: MIT
#lua-wsman:copy
# lua-wsman's file upload (session:copy, `wsman copy`), run as the script of a PowerShell Remoting
# pipeline. Arguments: the destination path, and whether to expand %VARIABLES% in it. The pipeline
# input is the file as base64 strings of consecutive chunks; the last input object is the base64
# of the lower-case hex SHA-1 of the whole file. The data goes to a temporary file beside the
# destination; only when the hash matches does it replace the destination, and the full path of
# the destination is the output. On a mismatch the temporary file is removed and the pipeline fails.
param([string]$Path, [bool]$ExpandVariables)

begin {
    $ErrorActionPreference = 'Stop'
    if ($ExpandVariables) {
        $Path = [System.Environment]::ExpandEnvironmentVariables($Path)
    }
    $Path = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
    $temp = [System.IO.Path]::Combine([System.IO.Path]::GetDirectoryName($Path),
        '.lua-wsman-' + [System.Guid]::NewGuid().ToString('N') + '.part')
    $stream = [System.IO.File]::Create($temp)
    $sha1 = New-Object -TypeName System.Security.Cryptography.SHA1CryptoServiceProvider
    $previous = $null
}

process {
    if ($null -ne $previous) {
        $sha1.TransformBlock($previous, 0, $previous.Length, $previous, 0) > $null
        $stream.Write($previous, 0, $previous.Length)
    }
    $previous = [System.Convert]::FromBase64String($_)
}

end {
    $stream.Dispose()
    $sha1.TransformFinalBlock([byte[]]@(), 0, 0) > $null
    $actual = [System.BitConverter]::ToString($sha1.Hash).Replace('-', '').ToLowerInvariant()
    $expected = if ($null -eq $previous) { '' } else { [System.Text.Encoding]::UTF8.GetString($previous) }
    if ($actual -ne $expected) {
        [System.IO.File]::Delete($temp)
        throw "Transport failure, hash mismatch`r`nActual: $actual`r`nExpected: $expected"
    }
    try {
        if ([System.IO.File]::Exists($Path) -or [System.IO.Directory]::Exists($Path)) {
            [System.IO.File]::Delete($Path)
        }
        [System.IO.File]::Move($temp, $Path)
    } catch {
        [System.IO.File]::Delete($temp)
        throw
    }
    $Path
}
