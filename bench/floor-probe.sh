# The floor: a node's whole state for ha-asterisk in one shell script (sent on stdin of one ssh session).
dpkg-query -W -f='${Package}\t${Status}\t${Version}\n' pacemaker corosync crmsh resource-agents psmisc kamailio
sha256sum /etc/default/cman /etc/default/corosync /etc/default/kamailio /etc/corosync/corosync.conf
ls -1 /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d | grep -E '(corosync|pacemaker|kamailio)$'
service corosync status; service pacemaker status
cibadmin --query
