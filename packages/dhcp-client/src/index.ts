/** Plumbing shared by DHCP runner plugins (being moved here from plugins/dhcpv4 and plugins/dhcpv6). */
export {};
