module github.com/brutella/hap

go 1.22

require (
	github.com/brutella/dnssd v1.2.14
	github.com/tadglines/go-pkgs v0.0.0-20210623144937-b983b20f54f9
	golang.org/x/crypto v0.24.0
	gopkg.in/Regis24GmbH/go-diacritics.v2 v2.0.3
)

require (
	github.com/miekg/dns v1.1.61 // indirect
	github.com/vishvananda/netlink v1.2.1-beta.2 // indirect
	github.com/vishvananda/netns v0.0.0-20200728191858-db3c7e526aae // indirect
	golang.org/x/mod v0.18.0 // indirect
	golang.org/x/net v0.26.0 // indirect
	golang.org/x/sync v0.7.0 // indirect
	golang.org/x/sys v0.21.0 // indirect
	golang.org/x/text v0.16.0 // indirect
	golang.org/x/tools v0.22.0 // indirect
)

replace github.com/brutella/dnssd => ../dnssd
