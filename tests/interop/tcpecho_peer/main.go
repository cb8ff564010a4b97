// Command tcpecho_peer drives a TCP echo through a tunnel: -conns TCP
// connections at once to -addr, each sending -bytes random bytes and
// comparing what comes back byte for byte. Prints one summary line; exits 0
// only if every byte came back, 1 otherwise, 2 on a bad command line.
//
//	tcpecho_peer -addr HOST:PORT [-conns 20] [-bytes 1048576] [-timeout 60s]
package main

import (
	"bytes"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

func roundTrip(c net.Conn, n int, deadline time.Time) error {
	defer c.Close()
	data := make([]byte, n)
	rand.Read(data)
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		werr <- err
	}()
	c.SetReadDeadline(deadline)
	got := make([]byte, n)
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("read of %d bytes: %v", n, err)
	}
	if err := <-werr; err != nil {
		return fmt.Errorf("write: %v", err)
	}
	if !bytes.Equal(got, data) {
		return fmt.Errorf("echo differs")
	}
	return nil
}

func main() {
	addr := flag.String("addr", "", "HOST:PORT of the echo")
	conns := flag.Int("conns", 20, "parallel connections")
	n := flag.Int("bytes", 1<<20, "bytes per connection")
	timeout := flag.Duration("timeout", 60*time.Second, "give up after")
	flag.Parse()
	if *addr == "" || *conns < 1 || *n < 1 || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	start := time.Now()
	deadline := start.Add(*timeout)
	errs := make(chan error, *conns)
	for i := 0; i < *conns; i++ {
		go func(i int) {
			c, err := net.DialTimeout("tcp", *addr, 10*time.Second)
			if err == nil {
				err = roundTrip(c, *n, deadline)
			}
			if err != nil {
				err = fmt.Errorf("connection %d: %v", i, err)
			}
			errs <- err
		}(i)
	}
	for i := 0; i < *conns; i++ {
		if err := <-errs; err != nil {
			fmt.Fprintln(os.Stderr, "tcpecho_peer:", err)
			os.Exit(1)
		}
	}
	el := time.Since(start).Seconds()
	fmt.Printf("%d TCP connections x %d bytes echoed byte-exact in %.2f s (%.1f MB/s each way)\n",
		*conns, *n, el, float64(*conns)*float64(*n)/el/1e6)
}
