// Command snappygo_golden prints, as a C array, what golang/snappy's
// buffered Writer (the one kcptun's compression uses: Write, then Flush,
// per write) makes of two writes: 200 bytes of repetitive text and 64
// bytes from a linear congruential generator (incompressible, so an
// uncompressed chunk). tests/check_snappyframe.c holds its output as the
// golden vector; run `make tests/interop/bin/snappygo_golden` and the
// program to regenerate it.
package main

import (
	"bytes"
	"fmt"

	"github.com/golang/snappy"
)

// Inputs returns the two writes; the C test builds the same ones.
func inputs() ([]byte, []byte) {
	text := bytes.Repeat([]byte("kcptun over lwIP "), 12)[:200]
	noise := make([]byte, 64)
	x := uint32(12345)
	for i := range noise {
		x = x*1103515245 + 12345
		noise[i] = byte(x >> 16)
	}
	return text, noise
}

func main() {
	var out bytes.Buffer
	w := snappy.NewBufferedWriter(&out)
	text, noise := inputs()
	for _, p := range [][]byte{text, noise} {
		if _, err := w.Write(p); err != nil {
			panic(err)
		}
		if err := w.Flush(); err != nil {
			panic(err)
		}
	}
	b := out.Bytes()
	fmt.Printf("static const uint8_t t_golden[%d] = {", len(b))
	for i, c := range b {
		if i%12 == 0 {
			fmt.Printf("\n ")
		}
		fmt.Printf(" 0x%02x,", c)
	}
	fmt.Printf("\n};\n")
}
