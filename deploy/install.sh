#!/usr/bin/env bash
# install.sh: the body of `make install`. Lays out the binaries, configs,
# rules, signatures, portal, index templates, docs and systemd units in FHS
# places under DESTDIR (a packaging root or "" for the live system).
# Configs an operator edits are never overwritten: a changed one is
# installed beside it as *.new. Environment (set by the Makefile):
#   DESTDIR PREFIX BINDIR SYSCONFDIR DATADIR DOCDIR UNITDIR SYSUSERSDIR
#   TMPFILESDIR B (build dir with canh-sensor and canh-correlator)
set -euo pipefail
: "${PREFIX:=/usr/local}" "${DESTDIR:=}" "${B:=build}"
: "${BINDIR:=$PREFIX/bin}" "${SYSCONFDIR:=/etc}" "${DATADIR:=$PREFIX/share/canh}"
: "${DOCDIR:=$PREFIX/share/doc/canh}" "${UNITDIR:=$PREFIX/lib/systemd/system}"
: "${SYSUSERSDIR:=$PREFIX/lib/sysusers.d}" "${TMPFILESDIR:=$PREFIX/lib/tmpfiles.d}"
ETC=$SYSCONFDIR/canh
D=$DESTDIR

say() { printf 'install: %s\n' "$*"; }

# A file the operator may have edited: install when absent or identical,
# otherwise put the new version beside it.
install_conf() { # mode src dst
    local mode=$1 src=$2 dst=$D$3
    if [ -e "$dst" ] && ! cmp -s "$src" "$dst"; then
        install -m "$mode" "$src" "$dst.new"
        say "kept your $3; the new version is $3.new"
    else
        install -m "$mode" "$src" "$dst"
    fi
}

# Replace the @VAR@ placeholders and the default /etc/canh paths.
subst() { # src dst
    sed -e "s#@BINDIR@#$BINDIR#g" -e "s#@SYSCONFDIR@#$SYSCONFDIR#g" \
        -e "s#@DOCDIR@#$DOCDIR#g" -e "s#@DATADIR@#$DATADIR#g" \
        -e "s#/etc/canh/#$ETC/#g" -e "s#/etc/canh\$#$ETC#g" -e "s#/etc/canh\([[:space:]]\)#$ETC\1#g" "$1" >"$2"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

install -d "$D$BINDIR" "$D$ETC" "$D$ETC/rules" "$D$ETC/sigma" "$D$DATADIR" \
    "$D$DATADIR/elasticsearch" "$D$DOCDIR" "$D$UNITDIR" "$D$SYSUSERSDIR" "$D$TMPFILESDIR" \
    "$D$SYSCONFDIR/logrotate.d"
install -m 0755 "$B/canh-sensor" "$B/canh-correlator" "$D$BINDIR/"

# Configs: the sensor's example uses FHS paths already; the correlator's
# example keeps the run-from-the-tree defaults, so point it at the store
# and the installed rules here.
subst deploy/sensor.yaml "$tmp/sensor.yaml"
subst deploy/correlator.yaml "$tmp/correlator.yaml"
sed -i -e "s#^data-dir: .*#data-dir: /var/lib/canh-correlator#" \
       -e "s#^rules-dir: .*#rules-dir: $ETC/sigma#" \
       -e "s#^\(  templates-dir:\) deploy/elasticsearch#\1 $DATADIR/elasticsearch#" "$tmp/correlator.yaml"
install_conf 0640 "$tmp/sensor.yaml" "$ETC/sensor.yaml"
install_conf 0640 "$tmp/correlator.yaml" "$ETC/correlator.yaml"

# Signatures (Suricata side): site files are the operator's; suricata.rules
# is suricata-update's output and starts empty so that -T is clean.
for f in classification.config reference.config threshold.config; do
    install_conf 0644 "signatures/$f" "$ETC/$f"
done
install_conf 0644 signatures/local.rules "$ETC/rules/local.rules"
# Canh's own YARA rules (yara.rule-path); site rules go in yara-rules files.
install -d "$D$ETC/yara"
for f in signatures/yara/*.yar; do install_conf 0644 "$f" "$ETC/yara/$(basename "$f")"; done
[ -e "$D$ETC/rules/suricata.rules" ] || install -m 0644 /dev/null "$D$ETC/rules/suricata.rules"

# Sigma rules shipped with Canh: replaced on upgrade (site rules go in
# their own files in the same directory).
install -m 0644 rules/*.yml "$D$ETC/sigma/"

# Portal (static files), index templates, documentation.
if [ -d correlator/portal/static ]; then
    install -d "$D$DATADIR/portal"
    cp -R correlator/portal/static/. "$D$DATADIR/portal/"
    find "$D$DATADIR/portal" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
fi
if compgen -G 'deploy/elasticsearch/*.json' >/dev/null; then
    install -m 0644 deploy/elasticsearch/*.json "$D$DATADIR/elasticsearch/"
fi
for f in docs/*.md deploy/README.md; do
    [ -e "$f" ] && install -m 0644 "$f" "$D$DOCDIR/"
done

# systemd units, users, directories, log rotation.
for u in canh-sensor@.service canh-correlator.service; do
    subst "deploy/systemd/$u" "$tmp/$u"
    install -m 0644 "$tmp/$u" "$D$UNITDIR/$u"
done
install -m 0644 deploy/systemd/canh.sysusers "$D$SYSUSERSDIR/canh.conf"
subst deploy/systemd/canh.tmpfiles "$tmp/canh.tmpfiles"
install -m 0644 "$tmp/canh.tmpfiles" "$D$TMPFILESDIR/canh.conf"
install_conf 0644 deploy/logrotate.conf "$SYSCONFDIR/logrotate.d/canh"

say "done: binaries in $BINDIR, configs in $ETC, units in $UNITDIR${DESTDIR:+ (under $DESTDIR)}"
if [ -z "$DESTDIR" ]; then
    say "next: systemd-sysusers; systemd-tmpfiles --create; systemctl daemon-reload"
    say "      (see $DOCDIR/operations.md: first run, adding a sensor)"
fi
