// Package kcptuncrypt makes kcp-go BlockCrypts exactly as kcptun does from
// its --crypt and --key (kcptun's server/main.go and client/main.go), for
// the test programs that play kcptun's part: kcpgo_peer and the codec's
// golden-vector generator.
package kcptuncrypt

import (
	"crypto/sha1"

	kcp "github.com/xtaci/kcp-go"
	"golang.org/x/crypto/pbkdf2"
)

// Names are kcptun's --crypt values.
var Names = []string{"aes", "aes-128", "aes-192", "salsa20", "blowfish", "twofish",
	"cast5", "3des", "tea", "xtea", "xor", "sm4", "none"}

// Derive is kcptun's key derivation of --key (its salt and iteration count).
func Derive(passphrase string) []byte {
	return pbkdf2.Key([]byte(passphrase), []byte("kcp-go"), 4096, 32, sha1.New)
}

// ciphers maps a --crypt name to its constructor and the bytes of the
// derived key kcptun gives it.
var ciphers = map[string]struct {
	keylen int
	make   func([]byte) (kcp.BlockCrypt, error)
}{
	"aes":      {32, kcp.NewAESBlockCrypt},
	"aes-128":  {16, kcp.NewAESBlockCrypt},
	"aes-192":  {24, kcp.NewAESBlockCrypt},
	"salsa20":  {32, kcp.NewSalsa20BlockCrypt},
	"blowfish": {32, kcp.NewBlowfishBlockCrypt},
	"twofish":  {32, kcp.NewTwofishBlockCrypt},
	"cast5":    {16, kcp.NewCast5BlockCrypt},
	"3des":     {24, kcp.NewTripleDESBlockCrypt},
	"tea":      {16, kcp.NewTEABlockCrypt},
	"xtea":     {16, kcp.NewXTEABlockCrypt},
	"xor":      {32, kcp.NewSimpleXORBlockCrypt},
	"sm4":      {16, kcp.NewSM4BlockCrypt},
	"none":     {32, kcp.NewNoneBlockCrypt},
}

// New builds the cipher for a --crypt name from the derived key pass; an
// unknown name is aes, as in kcptun.
func New(name string, pass []byte) kcp.BlockCrypt {
	c, ok := ciphers[name]
	if !ok {
		c = ciphers["aes"]
	}
	b, _ := c.make(pass[:c.keylen])
	return b
}
