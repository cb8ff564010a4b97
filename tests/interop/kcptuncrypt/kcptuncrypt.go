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

// New builds the cipher for a --crypt name from the derived key pass; an
// unknown name is aes, as in kcptun.
func New(name string, pass []byte) kcp.BlockCrypt {
	var b kcp.BlockCrypt
	switch name {
	case "sm4":
		b, _ = kcp.NewSM4BlockCrypt(pass[:16])
	case "tea":
		b, _ = kcp.NewTEABlockCrypt(pass[:16])
	case "xor":
		b, _ = kcp.NewSimpleXORBlockCrypt(pass)
	case "none":
		b, _ = kcp.NewNoneBlockCrypt(pass)
	case "aes-128":
		b, _ = kcp.NewAESBlockCrypt(pass[:16])
	case "aes-192":
		b, _ = kcp.NewAESBlockCrypt(pass[:24])
	case "blowfish":
		b, _ = kcp.NewBlowfishBlockCrypt(pass)
	case "twofish":
		b, _ = kcp.NewTwofishBlockCrypt(pass)
	case "cast5":
		b, _ = kcp.NewCast5BlockCrypt(pass[:16])
	case "3des":
		b, _ = kcp.NewTripleDESBlockCrypt(pass[:24])
	case "xtea":
		b, _ = kcp.NewXTEABlockCrypt(pass[:16])
	case "salsa20":
		b, _ = kcp.NewSalsa20BlockCrypt(pass)
	default:
		b, _ = kcp.NewAESBlockCrypt(pass)
	}
	return b
}
