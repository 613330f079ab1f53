set terminal pngcairo size 1000,620
set output 'frontier_classifiers.png'
set key outside right top noenhanced
set grid
set title 'issue 14: classifiers, test delta against what the pruned model keeps' noenhanced
set xlabel 'planned server latency kept (% of dense)'
set ylabel 'accuracy points lost (test)'
set yrange [-1:4]
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2
plot 'frontier_classifiers.dat' index 0 using 1:2 with linespoints title 'mlp-mnist oneshot', 'frontier_classifiers.dat' index 1 using 1:2 with linespoints title 'mlp512-fashion oneshot', 'frontier_classifiers.dat' index 2 using 1:2 with linespoints title 'mlp512-mnist oneshot'
