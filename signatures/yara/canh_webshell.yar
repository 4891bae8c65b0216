/* Canh's own YARA rules: web shell heuristics. Scripts that run what the
 * request sends them (eval/assert/system on request variables), as dropped
 * on compromised government web servers. Tuned for few false positives on
 * ordinary PHP/ASP pages: a request variable must reach an execution sink. */
rule canh_webshell_php_eval_request : webshell
{
    meta:
        description = "PHP that evaluates or executes a request parameter"
        severity = 1
        sid = 2000011
    strings:
        $php = "<?php" nocase
        $php2 = "<?=" 
        $sink = /(eval|assert|system|passthru|shell_exec|exec|popen|proc_open|create_function)\s*\(\s*(base64_decode\s*\(\s*|str_rot13\s*\(\s*|gzinflate\s*\(\s*)*\$_(POST|GET|REQUEST|COOKIE|SERVER)\s*\[/ nocase
    condition:
        ($php or $php2) and $sink
}

rule canh_webshell_aspx_exec : webshell
{
    meta:
        description = "ASP.NET page that starts a process with request input"
        severity = 1
        sid = 2000012
    strings:
        $page = "<%@ Page" nocase
        $proc = "Process.Start" nocase
        $pinfo = "ProcessStartInfo" nocase
        $req = "Request." nocase
        $cmd = "cmd.exe" nocase
    condition:
        $page and ($proc or $pinfo) and $req and $cmd
}

rule canh_webshell_china_chopper : webshell
{
    meta:
        description = "China Chopper style one-line web shell"
        severity = 1
        sid = 2000013
    strings:
        $php = /<\?php\s+@?eval\s*\(\s*\$_POST\s*\[/ nocase
        $asp = /<%@?\s*Page\s+Language\s*=\s*"?Jscript"?\s*%>\s*<%\s*eval\s*\(\s*Request/ nocase
    condition:
        filesize < 4KB and ($php or $asp)
}
