# Plot np-bench's latency data (bench/results/*.dat) as bench/results/latency.png.
# Run from the repository's top directory: gnuplot bench/latency.gp
set terminal pngcairo size 1400,560 font "sans,11"
set output "bench/results/latency.png"
set datafile missing "-"
set logscale xy 2
set logscale y 10
set format y "10^{%L}"
set xrange [1.8:300]
set xtics (2, 4, 8, 16, 24, 32, 64, 128, 256)
set xlabel "NUMA nodes"
set ylabel "median decision time (ns)"
set grid
set key top left
set style data linespoints
set multiplot layout 1,2
set title "Request mix, 1000 workloads placed"
plot for [c=2:7] "bench/results/latency.dat" using 1:c title columnhead(c) lw 2 pt 7
set title "One guest needing half the host, empty host"
# Enumerating every set of n/2 nodes, at xen's measured 28 ns per set on 16 nodes.
sets(x) = x <= 40 ? 28 * gamma(x + 1) / gamma(x / 2 + 1)**2 : 1/0
set yrange [1e2:1e10]
set samples 39
plot for [c=2:7] "bench/results/halfhost.dat" using 1:c title columnhead(c) lw 2 pt 7, \
     [2:40] sets(x) title "28 ns x C(n, n/2)" dt 2 lw 1 lc rgb "gray40"
unset multiplot
