module opk-attest.test/x509check

go 1.19
