# rtt_cdf.gp - CDF of the round-trip times of the latency run (loss 10 %,
# delay 30 ms): KCP fast against TCP, both through lwIP. datafile holds two
# blocks of "rtt_ms fraction" lines (index 0 KCP, index 1 TCP).
set terminal pngcairo size 900,560 font ",11"
set output outfile
set title "RTT CDF, loss 10 % each way, delay 30 ms, 64 B every 20 ms\nKCP (fast) against TCP, both through lwIP in ./minimal"
set xlabel "round-trip time (ms, log scale)"
set ylabel "fraction of the messages sent echoed within"
set logscale x
set xrange [50:*]
set yrange [0:1.02]
set grid xtics ytics mxtics
set key right bottom
plot datafile index 0 using 1:2 with lines lw 2 lc rgb "#1f77b4" title "KCP (fast)", \
     datafile index 1 using 1:2 with lines lw 2 lc rgb "#d62728" title "TCP"
