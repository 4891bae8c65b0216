/* Canh's own YARA rules: the EICAR anti-virus test file. The standard says
 * the 68-byte string may be followed by white space only (up to 128 bytes in
 * all); canh_eicar_embedded finds it anywhere, e.g. inside a multipart body. */
rule canh_eicar : test
{
    meta:
        description = "EICAR anti-virus test file"
        severity = 3
        sid = 2000001
        reference = "https://www.eicar.org/download-anti-malware-testfile/"
    strings:
        $eicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    condition:
        $eicar at 0 and filesize <= 128
}

rule canh_eicar_embedded : test
{
    meta:
        description = "EICAR anti-virus test string inside a larger object"
        severity = 3
        sid = 2000002
    strings:
        $eicar = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    condition:
        $eicar and not canh_eicar
}
