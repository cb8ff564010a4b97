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
//
// Opens one session, then -conns smux streams in parallel; each sends
// -bytes random bytes and compares the echo (the remote end's target must
// echo). Prints one summary line; exits 0 only if every byte came back.
package main

import (
	"bytes"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
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

func stream(sess *smux.Session, n int, deadline time.Time) error {
	st, err := sess.OpenStream()
	if err != nil {
		return err
	}
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
		return fmt.Errorf("stream %d: read after %d bytes: %v", st.ID(), n, err)
	}
	if err := <-werr; err != nil {
		return fmt.Errorf("stream %d: write: %v", st.ID(), err)
	}
	if !bytes.Equal(got, data) {
		return fmt.Errorf("stream %d: echo differs", st.ID())
	}
	return nil
}

func main() {
	remote := flag.String("remote", "", "kcptun server HOST:PORT")
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
	if *remote == "" || !ok || (*smuxver != 1 && *smuxver != 2) || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "kcptun_peer:", err)
		os.Exit(1)
	}
	conn, err := kcp.DialWithOptions(*remote, nil, 0, 0)
	if err != nil {
		fail(err)
	}
	conn.SetStreamMode(true)
	conn.SetWriteDelay(false)
	conn.SetNoDelay(m[0], m[1], m[2], m[3])
	conn.SetWindowSize(*sndwnd, *rcvwnd)
	conn.SetMtu(*mtu)
	conn.SetACKNoDelay(false)
	conn.SetReadBuffer(4194304)
	conn.SetWriteBuffer(4194304)
	cfg := smux.DefaultConfig()
	cfg.Version = *smuxver
	cfg.MaxReceiveBuffer = 4194304
	cfg.MaxStreamBuffer = *streambuf
	cfg.KeepAliveInterval = 10 * time.Second
	var sess *smux.Session
	if *nocomp {
		sess, err = smux.Client(conn, cfg)
	} else {
		sess, err = smux.Client(generic.NewCompStream(conn), cfg)
	}
	if err != nil {
		fail(err)
	}
	defer sess.Close()
	start := time.Now()
	deadline := start.Add(*timeout)
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
