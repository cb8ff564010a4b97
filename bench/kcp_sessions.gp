# kcp_sessions.gp - the sessions sweep, from kcp-sessions.csv
# (loss,sessions,goodput_bps,goodput_x1,jain,rtt_p99_ms,rtt_p99_x1,retrans_pct):
# aggregate goodput, Jain's fairness index and p99 RTT against the number of
# bulk sessions, clean link and 2 % loss.
set terminal pngcairo size 1200,420 font ",11"
set output outfile
set datafile separator ","
set logscale x
set xrange [0.7:1500]
set xtics ("1" 1, "10" 10, "100" 100, "1000" 1000)
set xlabel "active bulk sessions"
set grid
set key bottom left
clean(l, v) = l == 0 ? v : NaN
lossy(l, v) = l == 2 ? v : NaN
set multiplot layout 1,3 title "Many clients at once: one ./minimal, one budget shared fairly"
set title "aggregate goodput"
set ylabel "Mbit/s"
set yrange [0:*]
plot datafile skip 1 using 2:(clean($1, $3 / 1e6)) with linespoints lw 2 title "clean", \
     "" skip 1 using 2:(lossy($1, $3 / 1e6)) with linespoints lw 2 title "2 % loss"
set title "Jain's fairness index"
set ylabel "index (1 = equal)"
set yrange [0:1.05]
plot datafile skip 1 using 2:(clean($1, $5)) with linespoints lw 2 title "clean", \
     "" skip 1 using 2:(lossy($1, $5)) with linespoints lw 2 title "2 % loss"
set title "p99 RTT"
set ylabel "ms"
set yrange [0:*]
plot datafile skip 1 using 2:(clean($1, $6)) with linespoints lw 2 title "clean", \
     "" skip 1 using 2:(lossy($1, $6)) with linespoints lw 2 title "2 % loss"
unset multiplot
