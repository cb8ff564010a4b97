// Command smuxgo_peer is the smux side of kcp-lwip's interop tests: Debian's
// smux (golang-github-xtaci-smux-dev), the multiplexer kcptun runs, over a
// plain TCP connection on loopback.
//
//	smuxgo_peer echo   -ver V [-port P] [-streambuf B]
//	smuxgo_peer client -ver V [-port P] [-streams N] [-bytes B] [-idle S]
//
// Both listen on 127.0.0.1 (port 0 picks a free one), print "listening
// PORT" and take one connection, so the peer under test always connects.
// echo is the smux server: it echoes every stream until the session
// ends. client is the smux client: it opens N streams, sends B random bytes on each, compares the
// echo byte for byte, closes the streams, then keeps the session idle for
// S seconds (keepalive only) and opens one more stream to prove it alive.
// Keepalive: every second, timeout 3 s. Exit 0 only on success, 2 on usage.
package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/xtaci/smux"
)

func config(ver, streamBuf int) *smux.Config {
	c := smux.DefaultConfig()
	c.Version = ver
	c.KeepAliveInterval = time.Second
	c.KeepAliveTimeout = 3 * time.Second
	c.MaxStreamBuffer = streamBuf
	return c
}

// accept listens on port, says where, and takes one connection.
func accept(port int) (net.Conn, error) {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	fmt.Printf("listening %d\n", ln.Addr().(*net.TCPAddr).Port)
	return ln.Accept()
}

func echo(ver, port, streamBuf int) error {
	conn, err := accept(port)
	if err != nil {
		return err
	}
	sess, err := smux.Server(conn, config(ver, streamBuf))
	if err != nil {
		return err
	}
	defer sess.Close()
	served := 0
	for {
		st, err := sess.AcceptStream()
		if err != nil {
			fmt.Printf("session ended after %d streams\n", served)
			return nil
		}
		served++
		go func(st *smux.Stream) {
			io.Copy(st, st)
			st.Close()
		}(st)
	}
}

// roundTrip sends n random bytes on a new stream and checks the echo.
func roundTrip(sess *smux.Session, n int) error {
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
	got := make([]byte, n)
	st.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadFull(st, got); err != nil {
		return fmt.Errorf("stream %d: read: %v", st.ID(), err)
	}
	if err := <-werr; err != nil {
		return fmt.Errorf("stream %d: write: %v", st.ID(), err)
	}
	if !bytes.Equal(got, data) {
		return fmt.Errorf("stream %d: echo differs", st.ID())
	}
	return nil
}

func client(ver, port, streams, n, idle, streamBuf int) error {
	conn, err := accept(port)
	if err != nil {
		return err
	}
	sess, err := smux.Client(conn, config(ver, streamBuf))
	if err != nil {
		return err
	}
	defer sess.Close()
	var wg sync.WaitGroup
	errs := make(chan error, streams)
	for i := 0; i < streams; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- roundTrip(sess, n)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	fmt.Printf("%d streams of %d bytes echoed\n", streams, n)
	time.Sleep(time.Duration(idle) * time.Second)
	if sess.IsClosed() {
		return errors.New("session closed while idle")
	}
	if err := roundTrip(sess, 1000); err != nil {
		return fmt.Errorf("after idle: %v", err)
	}
	fmt.Printf("alive after %d s idle\n", idle)
	return nil
}

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "echo" && os.Args[1] != "client") {
		fmt.Fprintln(os.Stderr, "usage: smuxgo_peer echo|client -ver V [-port P] [-streams N] [-bytes B] [-idle S] [-streambuf B]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ContinueOnError)
	ver := fs.Int("ver", 1, "smux version, 1 or 2")
	port := fs.Int("port", 0, "TCP port")
	streams := fs.Int("streams", 8, "parallel streams (client)")
	n := fs.Int("bytes", 1<<20, "bytes per stream (client)")
	idle := fs.Int("idle", 0, "idle seconds before the last stream (client)")
	streamBuf := fs.Int("streambuf", 65536, "per-stream buffer (version 2 window)")
	if fs.Parse(os.Args[2:]) != nil || (*ver != 1 && *ver != 2) {
		os.Exit(2)
	}
	var err error
	if os.Args[1] == "echo" {
		err = echo(*ver, *port, *streamBuf)
	} else {
		err = client(*ver, *port, *streams, *n, *idle, *streamBuf)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "smuxgo_peer:", err)
		os.Exit(1)
	}
}
