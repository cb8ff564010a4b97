// Command golden prints kcp-lwip's codec golden vectors, computed by the real
// kcp-go (Debian's golang-github-xtaci-kcp-dev) and golang.org/x/crypto's
// PBKDF2, the way kcptun calls them. tests/check_codec.c compares our codec
// with them. Regenerate with `make codec-golden` (rewrites
// tests/codec/golden.txt); the output is the same on every run but for the
// shards' random nonces (and so their CRCs).
//
// Lines:
//
//	key PASSPHRASE-HEX DERIVED-HEX         kcptun's PBKDF2 of the passphrase
//	crypt NAME PLAIN-HEX CIPHER-HEX        kcp-go's BlockCrypt.Encrypt
//	rawcrypt NAME KEY-HEX PLAIN-HEX CIPHER-HEX  the same with a key given
//	                                       as is, not derived: keys whose
//	                                       DES parts are weak, which Go takes
//	fec DS PS                              the group below: DS data + PS parity
//	shard DATAGRAM-HEX                     a datagram kcp-go sent, in order
//
// The shards are captured from a kcp-go session with crypt "none" and FEC
// (its nonces are random, so the test checks the CRC and the FEC content,
// not the nonce).
package main

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"time"

	kcp "github.com/xtaci/kcp-go"

	"../../interop/kcptuncrypt"
)

func main() {
	for _, p := range []string{"it's a secrect", "", "kcp-lwip"} {
		fmt.Printf("key %s %s\n", hex.EncodeToString([]byte(p)), hex.EncodeToString(kcptuncrypt.Derive(p)))
	}
	pass := kcptuncrypt.Derive("it's a secrect")
	// lengths: a bare header (kcp-go seals nothing shorter), a partial last
	// block, past xor's table
	for _, n := range []int{20, 71, 1600} {
		plain := pattern(n)
		for _, c := range kcptuncrypt.Names {
			fmt.Printf("crypt %s %s %s\n", c, hex.EncodeToString(plain), hex.EncodeToString(encrypt(c, pass, plain)))
		}
	}
	// keys a library may refuse as weak (all-zero and all-one DES parts;
	// the fuzzer's key), which kcp-go takes like any other
	plain := pattern(71)
	for _, k := range [][]byte{make([]byte, 32), bytes.Repeat([]byte{1}, 32), append([]byte{1, 2, 3}, make([]byte, 29)...)} {
		for _, c := range kcptuncrypt.Names {
			fmt.Printf("rawcrypt %s %s %s %s\n", c, hex.EncodeToString(k), hex.EncodeToString(plain), hex.EncodeToString(encrypt(c, k, plain)))
		}
	}
	if err := captureFEC(3, 2); err != nil {
		fmt.Fprintln(os.Stderr, "golden:", err)
		os.Exit(1)
	}
}

// pattern is the plaintext of n bytes the crypt lines encrypt.
func pattern(n int) []byte {
	plain := make([]byte, n)
	for i := range plain {
		plain[i] = byte(i*7 + n)
	}
	return plain
}

// encrypt is kcptun's cipher name with key applied to a copy of plain in
// place, as kcp-go seals its datagrams (xor leaves a separate
// destination's bytes past its table untouched).
func encrypt(name string, key, plain []byte) []byte {
	out := append([]byte(nil), plain...)
	kcptuncrypt.New(name, key).Encrypt(out, out)
	return out
}

// captureFEC sends messages of different sizes from a kcp-go session with
// FEC ds/ps to a bare UDP socket and prints the first two groups it sent.
func captureFEC(ds, ps int) error {
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	defer sink.Close()
	block, _ := kcp.NewNoneBlockCrypt(nil)
	sess, err := kcp.DialWithOptions(sink.LocalAddr().String(), block, ds, ps)
	if err != nil {
		return err
	}
	defer sess.Close()
	sess.SetNoDelay(1, 10, 2, 1)
	sess.SetWindowSize(128, 128)
	for i, n := range []int{10, 700, 1, 300, 1200, 40} {
		msg := make([]byte, n)
		for k := range msg {
			msg[k] = byte(k*13 + i)
		}
		sess.Write(msg)
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Printf("fec %d %d\n", ds, ps)
	buf := make([]byte, 2048)
	for i := 0; i < 2*(ds+ps); i++ {
		sink.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, _, err := sink.ReadFromUDP(buf)
		if err != nil {
			return err
		}
		fmt.Printf("shard %s\n", hex.EncodeToString(buf[:n]))
	}
	return nil
}
