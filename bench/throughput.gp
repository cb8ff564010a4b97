# throughput.gp - clean link, from throughput.csv (test,proto,label,value,unit):
# left, bulk echo throughput of KCP stream mode, TCP and UDP echo (ceiling);
# right, 64-byte echo rate of KCP and UDP echo.
set terminal pngcairo size 900,480 font ",11"
set output outfile
set datafile separator ","
set style data boxes
set style fill solid 0.8 border -1
set boxwidth 0.6
set grid ytics
set yrange [0:*]
unset key
# The colours of the other plots: KCP blue, TCP red, UDP echo grey.
colour(s) = s eq "KCP" ? 0x1f77b4 : (s eq "TCP" ? 0xd62728 : 0x7f7f7f)
set offsets 0, 0, graph 0.1, 0
set multiplot layout 1,2 title "Clean link, all through the same lwIP (./minimal)"
set title "bulk echo throughput"
set ylabel "Mbit/s of payload echoed"
plot datafile skip 1 every ::0::2 using 0:4:(colour(strcol(3))):xtic(3) lc rgb variable, \
     "" skip 1 every ::0::2 using 0:4:(sprintf("%.0f", $4)) with labels offset 0,0.8 notitle
set title "64-byte messages echoed"
set ylabel "messages/s"
plot datafile skip 1 every ::3::4 using 0:4:(colour(strcol(3))):xtic(3) lc rgb variable, \
     "" skip 1 every ::3::4 using 0:4:(sprintf("%.0f", $4)) with labels offset 0,0.8 notitle
unset multiplot
