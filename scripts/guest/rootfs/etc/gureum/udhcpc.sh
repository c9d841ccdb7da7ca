#!/bin/sh
# Gureum test guest: udhcpc event script (busybox udhcpc -s). udhcpc passes the lease
# in the environment: $interface $ip $mask $router $dns $domain $mtu $staticroutes.
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set "$interface" up
	;;
bound | renew)
	[ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
	# On a first lease start clean; on a renewal keep the address so connections survive.
	[ "$1" = bound ] && ip -4 addr flush dev "$interface"
	ip addr replace "$ip/${mask:-24}" broadcast + dev "$interface"
	if [ -n "$staticroutes" ]; then
		# Classless static routes (option 121) replace the router option (RFC 3442).
		set -- $staticroutes
		while [ $# -ge 2 ]; do
			if [ "$2" = 0.0.0.0 ]; then
				ip route replace "$1" dev "$interface"
			else
				ip route replace "$1" via "$2" dev "$interface"
			fi
			shift 2
		done
	elif [ -n "$router" ]; then
		for r in $router; do
			ip route replace default via "$r" dev "$interface"
			break
		done
	fi
	if [ -n "$dns" ]; then
		{
			[ -n "$domain" ] && echo "search $domain"
			for d in $dns; do echo "nameserver $d"; done
		} >/etc/resolv.conf
	fi
	[ "$1" = bound ] && echo "gureum-guest: dhcp $interface $ip/${mask:-24} router=${router:-none}" >/dev/console
	;;
esac
exit 0
