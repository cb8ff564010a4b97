// Command kcptun_peer is the client half of kcptun, built from the same
// Debian packages kcptun is (kcp-go, smux, and kcptun's own snappy
// CompStream), set up in the order kcptun's client does, with one
// difference: kcp-go gets no block cipher and no FEC (nil block, 0/0
// shards), so its datagrams are raw KCP. kcptun itself always gives kcp-go
// a block (also for --crypt none), whose nonce and checksum framing is the
// datagram codec's business; this peer tests everything above it.
//
//	kcptun_peer -remote HOST:PORT [-mode fast] [-nocomp] [-smuxver 1]
//	            [-conns 20] [-bytes 1048576] [-timeout 60s]
//	kcptun_peer -listen HOST:PORT [-mode fast] [-nocomp] [-smuxver 1]
//	kcptun_peer -tcp HOST:PORT [-conns 20] [-bytes 1048576] [-timeout 60s]
//
// -remote: kcptun's client; opens one session, then -conns smux streams in
// parallel; each sends -bytes random bytes and compares the echo (the
// remote end's target must echo). -listen: kcptun's server whose target is
// an echo; prints "listening PORT" (port 0 picks one) and serves until
// -timeout. -tcp: plain TCP clients, -conns at once, each checking the echo
// of -bytes random bytes (for a tunnel's client end). The clients print
// one summary line and exit 0 only if every byte came back.
package main

import (
	"bytes"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	kcp "github.com/xtaci/kcp-go"
	"github.com/xtaci/kcptun/generic"
	"github.com/xtaci/smux"
)

var modes = map[string][4]int{
	"normal": {0, 40, 2, 1},
	"fast":   {0, 30, 2, 1},
	"fast2":  {1, 20, 2, 1},
	"fast3":  {1, 10, 2, 1},
}

// conn is a stream or a TCP connection.
type conn interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
}

func stream(sess *smux.Session, n int, deadline time.Time) error {
	st, err := sess.OpenStream()
	if err != nil {
		return err
	}
	return roundTrip(st, fmt.Sprintf("stream %d", st.ID()), n, deadline)
}

func roundTrip(st conn, name string, n int, deadline time.Time) error {
	defer st.Close()
	data := make([]byte, n)
	rand.Read(data)
	werr := make(chan error, 1)
	go func() {
		_, err := st.Write(data)
		werr <- err
	}()
	st.SetReadDeadline(deadline)
	got := make([]byte, n)
	if _, err := io.ReadFull(st, got); err != nil {
		return fmt.Errorf("%s: read of %d bytes: %v", name, n, err)
	}
	if err := <-werr; err != nil {
		return fmt.Errorf("%s: write: %v", name, err)
	}
	if !bytes.Equal(got, data) {
		return fmt.Errorf("%s: echo differs", name)
	}
	return nil
}

func main() {
	remote := flag.String("remote", "", "kcptun server HOST:PORT")
	listen := flag.String("listen", "", "serve as kcptun server with an echo target on HOST:PORT")
	tcp := flag.String("tcp", "", "TCP echo clients to HOST:PORT")
	mode := flag.String("mode", "fast", "normal, fast, fast2, fast3")
	nocomp := flag.Bool("nocomp", false, "no snappy compression")
	smuxver := flag.Int("smuxver", 1, "smux version 1 or 2")
	conns := flag.Int("conns", 20, "parallel streams")
	n := flag.Int("bytes", 1<<20, "bytes per stream")
	mtu := flag.Int("mtu", 1350, "KCP mtu")
	sndwnd := flag.Int("sndwnd", 128, "KCP send window")
	rcvwnd := flag.Int("rcvwnd", 512, "KCP receive window")
	streambuf := flag.Int("streambuf", 2097152, "smux stream buffer")
	timeout := flag.Duration("timeout", 60*time.Second, "give up after")
	flag.Parse()
	m, ok := modes[*mode]
	roles := 0
	for _, r := range []string{*remote, *listen, *tcp} {
		if r != "" {
			roles++
		}
	}
	if roles != 1 || !ok || (*smuxver != 1 && *smuxver != 2) || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "kcptun_peer:", err)
		os.Exit(1)
	}
	cfg := smux.DefaultConfig()
	cfg.Version = *smuxver
	cfg.MaxReceiveBuffer = 4194304
	cfg.MaxStreamBuffer = *streambuf
	cfg.KeepAliveInterval = 10 * time.Second
	// setup is kcptun's own order of settings on a new KCP session.
	setup := func(c *kcp.UDPSession) {
		c.SetStreamMode(true)
		c.SetWriteDelay(false)
		c.SetNoDelay(m[0], m[1], m[2], m[3])
		c.SetWindowSize(*sndwnd, *rcvwnd)
		c.SetMtu(*mtu)
		c.SetACKNoDelay(false)
	}
	var rw func(c *kcp.UDPSession) io.ReadWriteCloser = func(c *kcp.UDPSession) io.ReadWriteCloser {
		if *nocomp {
			return c
		}
		return generic.NewCompStream(c)
	}
	start := time.Now()
	deadline := start.Add(*timeout)
	if *listen != "" {
		ln, err := kcp.ListenWithOptions(*listen, nil, 0, 0)
		if err != nil {
			fail(err)
		}
		ln.SetReadBuffer(4194304)
		ln.SetWriteBuffer(4194304)
		fmt.Printf("listening %d\n", ln.Addr().(*net.UDPAddr).Port)
		go func() {
			time.Sleep(*timeout)
			os.Exit(0)
		}()
		for {
			c, err := ln.AcceptKCP()
			if err != nil {
				fail(err)
			}
			setup(c)
			sess, err := smux.Server(rw(c), cfg)
			if err != nil {
				fail(err)
			}
			go func() {
				for {
					st, err := sess.AcceptStream()
					if err != nil {
						return
					}
					go func() {
						io.Copy(st, st)
						st.Close()
					}()
				}
			}()
		}
	}
	if *tcp != "" {
		errs := make(chan error, *conns)
		for i := 0; i < *conns; i++ {
			go func(i int) {
				c, err := net.DialTimeout("tcp", *tcp, 10*time.Second)
				if err != nil {
					errs <- err
					return
				}
				errs <- roundTrip(c.(*net.TCPConn), fmt.Sprintf("connection %d", i), *n, deadline)
			}(i)
		}
		for i := 0; i < *conns; i++ {
			if err := <-errs; err != nil {
				fail(err)
			}
		}
		el := time.Since(start).Seconds()
		fmt.Printf("%d TCP connections x %d bytes echoed byte-exact in %.2f s (%.1f MB/s each way)\n",
			*conns, *n, el, float64(*conns)*float64(*n)/el/1e6)
		return
	}
	c, err := kcp.DialWithOptions(*remote, nil, 0, 0)
	if err != nil {
		fail(err)
	}
	setup(c)
	c.SetReadBuffer(4194304)
	c.SetWriteBuffer(4194304)
	sess, err := smux.Client(rw(c), cfg)
	if err != nil {
		fail(err)
	}
	defer sess.Close()
	var wg sync.WaitGroup
	errs := make(chan error, *conns)
	for i := 0; i < *conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- stream(sess, *n, deadline)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			fail(err)
		}
	}
	el := time.Since(start).Seconds()
	fmt.Printf("%d streams x %d bytes echoed byte-exact in %.2f s (%.1f MB/s each way)\n",
		*conns, *n, el, float64(*conns)*float64(*n)/el/1e6)
}
