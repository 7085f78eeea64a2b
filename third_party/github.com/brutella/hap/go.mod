module github.com/brutella/hap

go 1.16

require (
	github.com/brutella/dnssd v1.2.14
	github.com/go-chi/chi v1.5.4
	github.com/tadglines/go-pkgs v0.0.0-20210623144937-b983b20f54f9
	github.com/xiam/to v0.0.0-20200126224905-d60d31e03561
	golang.org/x/crypto v0.24.0
	gopkg.in/Regis24GmbH/go-diacritics.v2 v2.0.3
)

replace github.com/brutella/dnssd => ../dnssd
