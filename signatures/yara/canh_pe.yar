/* Canh's own YARA rules: PE heuristics for files crossing the network.
 * A Windows executable downloaded over plain HTTP is worth a look on a
 * government network; packed or dropper-like ones more so. Uses the pe
 * module (built into Debian's libyara). */
import "pe"

rule canh_pe_over_http : pe
{
    meta:
        description = "Windows PE executable in an HTTP body"
        severity = 3
        sid = 2000021
    condition:
        uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550
}

rule canh_pe_upx_packed : pe packer
{
    meta:
        description = "UPX-packed Windows executable"
        severity = 2
        sid = 2000022
    condition:
        uint16(0) == 0x5A4D and
        for any i in (0..pe.number_of_sections - 1) : (pe.sections[i].name == "UPX0")
}

rule canh_pe_dropper_apis : pe
{
    meta:
        description = "PE importing download-and-execute APIs"
        severity = 2
        sid = 2000023
    condition:
        uint16(0) == 0x5A4D and
        (pe.imports("urlmon.dll", "URLDownloadToFileA") or pe.imports("urlmon.dll", "URLDownloadToFileW")) and
        (pe.imports("kernel32.dll", "WinExec") or pe.imports("shell32.dll", "ShellExecuteA") or
         pe.imports("shell32.dll", "ShellExecuteW") or pe.imports("kernel32.dll", "CreateProcessA"))
}
