module github.com/brutella/dnssd

require (
	github.com/miekg/dns v1.1.61
	github.com/vishvananda/netlink v1.2.1-beta.2
	golang.org/x/net v0.26.0
)

require (
	github.com/vishvananda/netns v0.0.0-20200728191858-db3c7e526aae // indirect
	golang.org/x/mod v0.18.0 // indirect
	golang.org/x/sync v0.7.0 // indirect
	golang.org/x/sys v0.21.0 // indirect
	golang.org/x/tools v0.22.0 // indirect
)

go 1.20
