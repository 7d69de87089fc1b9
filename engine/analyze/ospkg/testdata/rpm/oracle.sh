#!/bin/sh
# oracle.sh DBDIR: the golden list of the rpm database in DBDIR as Debian's
# rpm 4.18 prints it: one line per package, tab-separated NAME EPOCHNUM
# VERSION RELEASE ARCH SOURCERPM LICENSE VENDOR MODULARITYLABEL and the
# number of files the package owns, sorted; gpg-pubkey pseudo-packages left
# out. ("(none)" is rpm's word for an empty tag.)
set -e
rpm -qa --dbpath "$1" --qf '%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{LICENSE}\t%{VENDOR}\t%{MODULARITYLABEL}\t%{FILENAMES:arraysize}\n' 2>/dev/null |
	grep -v '^gpg-pubkey	' | LC_ALL=C sort
