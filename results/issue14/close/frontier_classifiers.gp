set terminal pngcairo size 1000,620
set output 'frontier_classifiers.png'
set key outside right top noenhanced
set grid
set title 'issue 14: classifiers, test delta against what the pruned model keeps' noenhanced
set xlabel 'planned server latency kept (% of dense)'
set ylabel 'accuracy points lost (test)'
set yrange [-1:4]
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2
plot 'frontier_classifiers.dat' index 0 using 1:2 with linespoints title 'mlp512-fashion-s1 oneshot', 'frontier_classifiers.dat' index 1 using 1:2 with linespoints title 'mlp512-fashion-s1 rows0.5', 'frontier_classifiers.dat' index 2 using 1:2 with linespoints title 'mlp512-fashion-s2 oneshot', 'frontier_classifiers.dat' index 3 using 1:2 with linespoints title 'mlp512-fashion-s2 rows0.5', 'frontier_classifiers.dat' index 4 using 1:2 with linespoints title 'mlp512-fashion-s3 oneshot', 'frontier_classifiers.dat' index 5 using 1:2 with linespoints title 'mlp512-fashion-s3 rows0.5', 'frontier_classifiers.dat' index 6 using 1:2 with linespoints title 'mlp512-mnist-s1 oneshot', 'frontier_classifiers.dat' index 7 using 1:2 with linespoints title 'mlp512-mnist-s1 rows0.1', 'frontier_classifiers.dat' index 8 using 1:2 with linespoints title 'mlp512-mnist-s1 rows0.2', 'frontier_classifiers.dat' index 9 using 1:2 with linespoints title 'mlp512-mnist-s1 rows0.3', 'frontier_classifiers.dat' index 10 using 1:2 with linespoints title 'mlp512-mnist-s1 rows0.4', 'frontier_classifiers.dat' index 11 using 1:2 with linespoints title 'mlp512-mnist-s1 rows0.5', 'frontier_classifiers.dat' index 12 using 1:2 with linespoints title 'mlp512-mnist-s2 oneshot', 'frontier_classifiers.dat' index 13 using 1:2 with linespoints title 'mlp512-mnist-s2 rows0.5', 'frontier_classifiers.dat' index 14 using 1:2 with linespoints title 'mlp512-mnist-s3 oneshot', 'frontier_classifiers.dat' index 15 using 1:2 with linespoints title 'mlp512-mnist-s3 rows0.5'
