# rtt_vs_loss.gp - average and p99 RTT against the loss rate (delay 30 ms),
# KCP fast, KCP normal and TCP, from rtt_vs_loss.csv (header row; columns
# loss, then avg/p50/p99/max/unfinished for each of the three).
set terminal pngcairo size 900,560 font ",11"
set output outfile
set datafile separator ","
set title "RTT against loss rate, delay 30 ms each way, 64 B every 20 ms (through lwIP)"
set xlabel "loss each way (%)"
set ylabel "round-trip time (ms, log scale)"
set logscale y
set yrange [40:*]
set grid xtics ytics
set key left top
set xtics (0, 5, 10, 20, 30)
plot datafile skip 1 using 1:2 with linespoints lw 2 pt 7 lc rgb "#1f77b4" title "KCP fast avg", \
     "" skip 1 using 1:4 with linespoints lw 2 pt 5 dt 2 lc rgb "#1f77b4" title "KCP fast p99", \
     "" skip 1 using 1:7 with linespoints lw 2 pt 7 lc rgb "#2ca02c" title "KCP normal avg", \
     "" skip 1 using 1:9 with linespoints lw 2 pt 5 dt 2 lc rgb "#2ca02c" title "KCP normal p99", \
     "" skip 1 using 1:12 with linespoints lw 2 pt 7 lc rgb "#d62728" title "TCP avg", \
     "" skip 1 using 1:14 with linespoints lw 2 pt 5 dt 2 lc rgb "#d62728" title "TCP p99"
