package hap

// KeyPair holds public and private key.
type KeyPair struct {
	Public  []byte
	Private []byte
}
