// Command kcpgo_peer is kcp-lwip's independent interop peer: an echo server
// and a verifying client built on kcp-go (Debian's golang-github-xtaci-kcp-dev),
// a KCP implementation nobody in this project wrote. Our engine is only
// compatible if it talks to this program byte for byte.
//
//	kcpgo_peer server [-host H] [-port P] [options]
//	kcpgo_peer client [-host H] [-port P] [-count N] [-sizes MIN-MAX] [options]
//	kcpgo_peer bench [-host H] [-port P] [-clients N] [-duration D] [options]
//
// Raw KCP by default: exactly the 24-byte header on the wire. With -crypt
// (and -key, -ds, -ps) kcp-go's datagram codec is on, set up as kcptun sets
// it up: nonce + CRC32, the cipher, and FEC when -ds and -ps are not 0.
// The server prints "listening ADDR:PORT" once bound (port 0 picks a free
// one), so scripts never guess ports. The client exits 0 only when every
// byte it sent came back unchanged and in order. Bench runs N such clients
// at once, each sending without pause for the duration, and prints one JSON
// line: the bytes echoed and verified, the aggregate goodput, each
// session's goodput (min, median, max, Jain's fairness index) and kcp-go's
// own segment counters; it exits 0 only when every session verified every
// byte it got back and got some.
package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	kcp "github.com/xtaci/kcp-go"

	"../kcptuncrypt"
)

// Exit statuses: usage errors are 2 as in every kcp-lwip tool.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// Socket buffers large enough that a full 128-segment window never drops on
// loopback: losses here would test kcp-go's recovery, not our compatibility.
const sockBuf = 4 << 20

// A read buffer larger than the largest message, so a whole message arrives
// in one Read whenever kcp-go has it complete.
const readBuf = 256 << 10

// profile holds the four ikcp_nodelay arguments.
type profile struct{ nodelay, interval, resend, nc int }

// The kcptun profiles, which our engine's ikcp_profile names too; "default"
// is what an untouched KCP control block does.
var profiles = map[string]profile{
	"default": {0, 100, 0, 0},
	"normal":  {0, 40, 2, 1},
	"fast":    {0, 30, 2, 1},
	"fast2":   {1, 20, 2, 1},
	"fast3":   {1, 10, 2, 1},
}

// options is everything both modes accept.
type options struct {
	host       string
	port       int
	conv       uint
	count      int
	minSize    int
	maxSize    int
	stream     bool
	prof       profile
	sndwnd     int
	rcvwnd     int
	mtu        int
	timeout    time.Duration
	idle       time.Duration
	seed       int64
	ackNoDelay bool
	quiet      bool
	loss       int
	stall      time.Duration
	crypt      string
	key        string
	ds, ps     int
	clients    int
	duration   time.Duration
}

// block is the codec's cipher, or nil for raw KCP (no -crypt).
func (o *options) block() kcp.BlockCrypt {
	if o.crypt == "" {
		return nil
	}
	return kcptuncrypt.New(o.crypt, kcptuncrypt.Derive(o.key))
}

func validCrypt(name string) bool {
	for _, n := range kcptuncrypt.Names {
		if n == name {
			return true
		}
	}
	return false
}

func usage(fs *flag.FlagSet) {
	fmt.Fprintf(os.Stderr, "usage: kcpgo_peer server|client|bench [options]\n")
	if fs != nil {
		fs.PrintDefaults()
	}
	os.Exit(exitUsage)
}

// parseSizes reads "MIN-MAX" or a single "N" (both bounds N).
func parseSizes(s string) (int, int, error) {
	lo, hi, found := strings.Cut(s, "-")
	if !found {
		hi = lo
	}
	min, err1 := strconv.Atoi(lo)
	max, err2 := strconv.Atoi(hi)
	if err1 != nil || err2 != nil || min < 1 || max < min {
		return 0, 0, fmt.Errorf("bad -sizes %q: want MIN-MAX with 1 <= MIN <= MAX", s)
	}
	return min, max, nil
}

// parseProfile accepts a profile name or "nodelay,interval,resend,nc".
func parseProfile(s string) (profile, error) {
	if p, ok := profiles[s]; ok {
		return p, nil
	}
	f := strings.Split(s, ",")
	if len(f) == 4 {
		var v [4]int
		for i := range f {
			n, err := strconv.Atoi(f[i])
			if err != nil {
				return profile{}, fmt.Errorf("bad -profile %q", s)
			}
			v[i] = n
		}
		return profile{v[0], v[1], v[2], v[3]}, nil
	}
	return profile{}, fmt.Errorf("bad -profile %q: want default|normal|fast|fast2|fast3 or N,I,R,C", s)
}

func parseOptions(mode string, args []string) options {
	var o options
	fs := flag.NewFlagSet("kcpgo_peer "+mode, flag.ContinueOnError)
	fs.StringVar(&o.host, "host", "127.0.0.1", "address to listen on (server) or send to (client)")
	fs.IntVar(&o.port, "port", 8000, "UDP port; 0 lets the server pick one")
	fs.UintVar(&o.conv, "conv", 0, "client conversation id; 0 = random, as kcp-go's Dial does")
	fs.IntVar(&o.count, "count", 20, "client: number of messages")
	sizes := fs.String("sizes", "1-102400", "client: message sizes MIN-MAX in bytes")
	fs.BoolVar(&o.stream, "stream", false, "stream mode instead of message mode")
	prof := fs.String("profile", "fast2", "nodelay profile: default|normal|fast|fast2|fast3 or N,I,R,C")
	fs.IntVar(&o.sndwnd, "sndwnd", 128, "send window in segments")
	fs.IntVar(&o.rcvwnd, "rcvwnd", 128, "receive window in segments")
	fs.IntVar(&o.mtu, "mtu", 1400, "KCP mtu (at most 1500, kcp-go's receive buffer)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "client: give up after this long; server: exit after this long")
	fs.DurationVar(&o.idle, "idle", 20*time.Second, "server: close a session silent this long")
	fs.Int64Var(&o.seed, "seed", 1, "client: workload seed (sizes and bytes)")
	fs.BoolVar(&o.ackNoDelay, "acknodelay", false, "ack every incoming packet at once")
	fs.BoolVar(&o.quiet, "quiet", false, "print nothing but errors")
	fs.IntVar(&o.loss, "loss", 0, "drop this percentage of datagrams, each direction (0..50)")
	fs.DurationVar(&o.stall, "stall", 0, "client: read nothing this long, so the peer sees a full window")
	fs.StringVar(&o.crypt, "crypt", "", "kcptun's --crypt (aes, salsa20, ..., none); empty: raw KCP")
	fs.StringVar(&o.key, "key", "it's a secrect", "kcptun's --key")
	fs.IntVar(&o.ds, "ds", 0, "FEC data shards (with -ps; 0: FEC off)")
	fs.IntVar(&o.ps, "ps", 0, "FEC parity shards")
	fs.IntVar(&o.clients, "clients", 1, "bench: sessions at once (1..1000)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "bench: how long each session sends")
	fs.SetOutput(os.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: kcpgo_peer server|client|bench [options]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		os.Exit(exitUsage)
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "kcpgo_peer: unexpected argument %q\n", fs.Arg(0))
		usage(fs)
	}
	var err error
	if o.minSize, o.maxSize, err = parseSizes(*sizes); err != nil {
		fmt.Fprintln(os.Stderr, "kcpgo_peer:", err)
		usage(fs)
	}
	if o.prof, err = parseProfile(*prof); err != nil {
		fmt.Fprintln(os.Stderr, "kcpgo_peer:", err)
		usage(fs)
	}
	switch {
	case o.port < 0 || o.port > 65535:
		err = fmt.Errorf("bad -port %d", o.port)
	case mode != "server" && o.port == 0:
		err = errors.New("client needs a -port")
	case o.count < 1 || o.count > 100000:
		err = fmt.Errorf("bad -count %d: want 1..100000", o.count)
	case o.maxSize > 1<<20:
		err = fmt.Errorf("bad -sizes: at most %d bytes a message", 1<<20)
	case o.conv > math.MaxUint32:
		err = fmt.Errorf("bad -conv %d", o.conv)
	case o.sndwnd < 1 || o.rcvwnd < 1 || o.sndwnd > 65535 || o.rcvwnd > 65535:
		err = errors.New("bad -sndwnd/-rcvwnd: want 1..65535")
	case o.mtu < 50 || o.mtu > 1500:
		err = fmt.Errorf("bad -mtu %d: want 50..1500", o.mtu)
	case o.timeout <= 0 || o.idle <= 0 || o.stall < 0:
		err = errors.New("bad -timeout/-idle/-stall: must be positive")
	case o.loss < 0 || o.loss > 50:
		err = fmt.Errorf("bad -loss %d: want 0..50", o.loss)
	case o.ds < 0 || o.ps < 0 || o.ds+o.ps > 128:
		err = fmt.Errorf("bad -ds %d -ps %d", o.ds, o.ps)
	case o.clients < 1 || o.clients > 1000:
		err = fmt.Errorf("bad -clients %d: want 1..1000", o.clients)
	case mode == "bench" && (o.duration <= 0 || o.duration >= o.timeout):
		err = errors.New("bad -duration: must be positive and under -timeout")
	case o.crypt != "" && !validCrypt(o.crypt):
		err = fmt.Errorf("bad -crypt %q", o.crypt)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kcpgo_peer:", err)
		usage(fs)
	}
	return o
}

// lossyConn drops a share of the datagrams it reads and writes, so that
// retransmission, fast resend and duplicate handling cross the two engines
// too. Only used with -loss: without it kcp-go keeps its own batched socket
// path.
type lossyConn struct {
	net.PacketConn
	pct int
	mu  sync.Mutex
	r   *rand.Rand
}

func newLossyConn(c net.PacketConn, pct int, seed int64) *lossyConn {
	return &lossyConn{PacketConn: c, pct: pct, r: rand.New(rand.NewSource(seed))}
}

func (c *lossyConn) drop() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.r.Intn(100) < c.pct
}

func (c *lossyConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, a, err := c.PacketConn.ReadFrom(b)
		if err != nil || !c.drop() {
			return n, a, err
		}
	}
}

func (c *lossyConn) WriteTo(b []byte, a net.Addr) (int, error) {
	if c.drop() {
		return len(b), nil
	}
	return c.PacketConn.WriteTo(b, a)
}

// configure applies the session options the same way on both sides, so a
// case differs only in the engine at the other end.
func configure(s *kcp.UDPSession, o *options) {
	s.SetStreamMode(o.stream)
	s.SetWindowSize(o.sndwnd, o.rcvwnd)
	s.SetMtu(o.mtu)
	s.SetNoDelay(o.prof.nodelay, o.prof.interval, o.prof.resend, o.prof.nc)
	s.SetACKNoDelay(o.ackNoDelay)
}

// echo sends back every byte the session delivers until the peer goes quiet
// for o.idle; kcp-go has no close on the wire, so silence is the only end.
func echo(s *kcp.UDPSession, o *options) {
	defer s.Close()
	buf := make([]byte, readBuf)
	var total int64
	for {
		s.SetReadDeadline(time.Now().Add(o.idle))
		n, err := s.Read(buf)
		if err != nil {
			break
		}
		s.SetWriteDeadline(time.Now().Add(o.idle))
		if _, err := s.Write(buf[:n]); err != nil {
			break
		}
		total += int64(n)
	}
	if !o.quiet {
		fmt.Printf("session %s conv %#x closed after %d bytes\n", s.RemoteAddr(), s.GetConv(), total)
	}
}

func server(o *options) int {
	addr := net.JoinHostPort(o.host, strconv.Itoa(o.port))
	var l *kcp.Listener
	ua, err := net.ResolveUDPAddr("udp4", addr)
	if err == nil {
		var conn *net.UDPConn
		if conn, err = net.ListenUDP("udp4", ua); err == nil {
			conn.SetReadBuffer(sockBuf)
			conn.SetWriteBuffer(sockBuf)
			if o.loss > 0 {
				l, err = kcp.ServeConn(o.block(), o.ds, o.ps, newLossyConn(conn, o.loss, o.seed))
			} else {
				l, err = kcp.ServeConn(o.block(), o.ds, o.ps, conn)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kcpgo_peer: listen:", err)
		return exitFail
	}
	fmt.Printf("listening %s\n", l.Addr())
	deadline := time.Now().Add(o.timeout)
	l.SetReadDeadline(deadline)
	// kcp-go feeds a new session its first datagram before Accept returns,
	// with its default 32-segment windows: a peer's first burst beyond sn 32
	// is dropped and resent once configure has run. That, not the peer, is
	// why a lossless case can show a few retransmissions.
	for {
		s, err := l.AcceptKCP()
		if err != nil {
			if time.Now().After(deadline) {
				return exitOK
			}
			fmt.Fprintln(os.Stderr, "kcpgo_peer: accept:", err)
			return exitFail
		}
		configure(s, o)
		if !o.quiet {
			fmt.Printf("session %s conv %#x\n", s.RemoteAddr(), s.GetConv())
		}
		go echo(s, o)
	}
}

// workload returns the message sizes: the edges that matter to KCP's
// fragmentation (1, mss-1, mss, mss+1, 2*mss+1, the bounds) first, then
// sizes drawn alternately log-uniformly (every order of magnitude equally
// common) and uniformly (most messages many fragments long).
func workload(o *options, r *rand.Rand) []int {
	mss := o.mtu - kcp.IKCP_OVERHEAD
	sizes := make([]int, 0, o.count)
	for _, s := range []int{o.minSize, 1, mss - 1, mss, mss + 1, 2*mss + 1, o.maxSize} {
		if len(sizes) < o.count && s >= o.minSize && s <= o.maxSize {
			sizes = append(sizes, s)
		}
	}
	lo, hi := math.Log(float64(o.minSize)), math.Log(float64(o.maxSize)+1)
	for len(sizes) < o.count {
		s := o.minSize + r.Intn(o.maxSize-o.minSize+1)
		if len(sizes)%2 == 0 {
			s = int(math.Exp(lo + r.Float64()*(hi-lo)))
		}
		if s < o.minSize {
			s = o.minSize
		} else if s > o.maxSize {
			s = o.maxSize
		}
		sizes = append(sizes, s)
	}
	return sizes
}

// messageAt names the message holding byte offset off, for error reports.
func messageAt(sizes []int, off int) (int, int) {
	for i, s := range sizes {
		if off < s {
			return i, off
		}
		off -= s
	}
	return len(sizes), off
}

func client(o *options) int {
	r := rand.New(rand.NewSource(o.seed))
	sizes := workload(o, r)
	total := 0
	for _, s := range sizes {
		total += s
	}
	want := make([]byte, total)
	r.Read(want)

	raddr := net.JoinHostPort(o.host, strconv.Itoa(o.port))
	var s *kcp.UDPSession
	var err error
	if o.conv == 0 && o.loss == 0 {
		if s, err = kcp.DialWithOptions(raddr, o.block(), o.ds, o.ps); err == nil {
			s.SetReadBuffer(sockBuf)
			s.SetWriteBuffer(sockBuf)
		}
	} else {
		// Dial's random conv, unless one was asked for.
		conv := uint32(o.conv)
		cr := rand.New(rand.NewSource(time.Now().UnixNano()))
		for conv == 0 {
			conv = cr.Uint32()
		}
		var ua *net.UDPAddr
		var conn *net.UDPConn
		if ua, err = net.ResolveUDPAddr("udp4", raddr); err == nil {
			if conn, err = net.ListenUDP("udp4", nil); err == nil {
				conn.SetReadBuffer(sockBuf)
				conn.SetWriteBuffer(sockBuf)
				var pc net.PacketConn = conn
				if o.loss > 0 {
					pc = newLossyConn(conn, o.loss, o.seed)
				}
				s, err = kcp.NewConn3(conv, ua, o.block(), o.ds, o.ps, pc)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kcpgo_peer: dial:", err)
		return exitFail
	}
	defer s.Close()
	configure(s, o)
	start := time.Now()
	s.SetDeadline(start.Add(o.timeout))

	werr := make(chan error, 1)
	go func() {
		off := 0
		for _, n := range sizes {
			if _, err := s.Write(want[off : off+n]); err != nil {
				werr <- err
				return
			}
			off += n
		}
		werr <- nil
	}()

	// kcp-go cuts writes larger than mss into separate messages and the
	// far end may re-cut them again, so the echo is checked as one stream.
	buf := make([]byte, readBuf)
	got := 0
	time.Sleep(o.stall)
	for got < total {
		n, err := s.Read(buf)
		if err != nil {
			fmt.Fprintf(os.Stderr, "kcpgo_peer: read after %d of %d bytes: %v\n", got, total, err)
			return exitFail
		}
		if got+n > total {
			fmt.Fprintf(os.Stderr, "kcpgo_peer: %d bytes more than were sent\n", got+n-total)
			return exitFail
		}
		for i := 0; i < n; i++ {
			if buf[i] != want[got+i] {
				m, at := messageAt(sizes, got+i)
				fmt.Fprintf(os.Stderr, "kcpgo_peer: byte %d (message %d, size %d, offset %d) is %#02x, sent %#02x\n",
					got+i, m, sizes[m], at, buf[i], want[got+i])
				return exitFail
			}
		}
		got += n
	}
	if err := <-werr; err != nil {
		fmt.Fprintln(os.Stderr, "kcpgo_peer: write:", err)
		return exitFail
	}
	if !o.quiet {
		fmt.Printf("verified %d messages, %d bytes in %d ms (conv %#x)\n",
			len(sizes), total, time.Since(start).Milliseconds(), s.GetConv())
	}
	return exitOK
}

func main() {
	if len(os.Args) < 2 {
		usage(nil)
	}
	mode := os.Args[1]
	if mode == "-h" || mode == "--help" || mode == "-help" {
		usage(nil)
	}
	if mode != "server" && mode != "client" && mode != "bench" {
		fmt.Fprintf(os.Stderr, "kcpgo_peer: unknown mode %q\n", mode)
		usage(nil)
	}
	o := parseOptions(mode, os.Args[2:])
	// A hard stop behind every deadline above: this program never outlives
	// the test that started it.
	time.AfterFunc(o.timeout+5*time.Second, func() {
		fmt.Fprintln(os.Stderr, "kcpgo_peer: timed out")
		os.Exit(exitFail)
	})
	switch mode {
	case "server":
		os.Exit(server(&o))
	case "bench":
		os.Exit(bench(&o))
	}
	os.Exit(client(&o))
}

// benchByte is byte off of session idx's stream: both ends of a bench
// session compute it, however kcp-go cuts the stream into messages.
func benchByte(idx, off uint64) byte {
	return byte((off*0x9E3779B97F4A7C15 + idx*0xBF58476D1CE4E5B9) >> 56)
}

// benchSession sends its stream in messages of o.minSize..o.maxSize bytes
// until stop, and verifies what comes back; it returns the bytes verified
// before stop, or an error for a wrong byte or a dead session.
func benchSession(o *options, idx int, stop <-chan struct{}) (int64, error) {
	s, err := kcp.DialWithOptions(net.JoinHostPort(o.host, strconv.Itoa(o.port)), o.block(), o.ds, o.ps)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	s.SetReadBuffer(sockBuf)
	s.SetWriteBuffer(sockBuf)
	configure(s, o)
	s.SetDeadline(time.Now().Add(o.timeout))
	ended := make(chan struct{})
	defer close(ended)
	go func() {
		// stop wakes a Read waiting for an echo
		select {
		case <-stop:
			s.SetReadDeadline(time.Now())
		case <-ended:
		}
	}()
	go func() {
		r := rand.New(rand.NewSource(o.seed + int64(idx)))
		msg := make([]byte, o.maxSize)
		var off uint64
		for {
			select {
			case <-stop:
				return
			default:
			}
			n := o.minSize + r.Intn(o.maxSize-o.minSize+1)
			for i := 0; i < n; i++ {
				msg[i] = benchByte(uint64(idx), off+uint64(i))
			}
			if _, err := s.Write(msg[:n]); err != nil {
				return
			}
			off += uint64(n)
		}
	}()
	buf := make([]byte, readBuf)
	var got uint64
	for {
		n, err := s.Read(buf)
		select {
		case <-stop:
			return int64(got), nil
		default:
		}
		if err != nil {
			return int64(got), fmt.Errorf("session %d: read after %d bytes: %v", idx, got, err)
		}
		for i := 0; i < n; i++ {
			if buf[i] != benchByte(uint64(idx), got+uint64(i)) {
				return int64(got), fmt.Errorf("session %d: byte %d is wrong", idx, got+uint64(i))
			}
		}
		got += uint64(n)
	}
}

func bench(o *options) int {
	stop := make(chan struct{})
	got := make([]int64, o.clients)
	errs := make([]error, o.clients)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < o.clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			got[i], errs[i] = benchSession(o, i, stop)
		}(i)
	}
	time.Sleep(o.duration)
	close(stop)
	secs := time.Since(start).Seconds()
	wg.Wait()
	failed := 0
	var total float64
	bps := make([]float64, o.clients)
	for i := range got {
		if errs[i] != nil || got[i] == 0 {
			failed++
			if errs[i] != nil {
				fmt.Fprintln(os.Stderr, "kcpgo_peer:", errs[i])
			}
		}
		bps[i] = float64(got[i]) * 8 / secs
		total += float64(got[i])
	}
	sort.Float64s(bps)
	var sum, sq float64
	for _, b := range bps {
		sum += b
		sq += b * b
	}
	jain := 0.0
	if sq > 0 {
		jain = sum * sum / (float64(len(bps)) * sq)
	}
	median := bps[len(bps)/2]
	if len(bps)%2 == 0 {
		median = (bps[len(bps)/2-1] + bps[len(bps)/2]) / 2
	}
	snmp := kcp.DefaultSnmp.Copy()
	fmt.Printf("{\"clients\":%d,\"bytes\":%.0f,\"throughput_bps\":%.0f,\"duration_s\":%.3f,"+
		"\"session_bps_min\":%.0f,\"session_bps_median\":%.0f,\"session_bps_max\":%.0f,"+
		"\"jain\":%.4f,\"out_segs\":%d,\"retrans\":%d,\"failed\":%d}\n",
		o.clients, total, total*8/secs, secs, bps[0], median, bps[len(bps)-1], jain,
		snmp.OutSegs, snmp.RetransSegs+snmp.FastRetransSegs+snmp.EarlyRetransSegs, failed)
	if failed > 0 {
		return exitFail
	}
	return exitOK
}
