set terminal pngcairo size 1000,620
set output 'frontier_autoencoders.png'
set key outside right top noenhanced
set grid
set title 'issue 14: autoencoders, test delta against what the pruned model keeps' noenhanced
set xlabel 'planned server latency kept (% of dense)'
set ylabel 'test delta loss, % of the dense loss'
set yrange [-1:10]
set arrow from graph 0, first 2.5 to graph 1, first 2.5 nohead dt 2
plot 'frontier_autoencoders.dat' index 0 using 1:2 with linespoints title 'ae1024 gradual', 'frontier_autoencoders.dat' index 1 using 1:2 with linespoints title 'ae1024 gradual+rows0.15', 'frontier_autoencoders.dat' index 2 using 1:2 with linespoints title 'ae1024 gradual+rows0.2', 'frontier_autoencoders.dat' index 3 using 1:2 with linespoints title 'ae1024-s2 gradual', 'frontier_autoencoders.dat' index 4 using 1:2 with linespoints title 'ae1024-s2 gradual+rows0.15', 'frontier_autoencoders.dat' index 5 using 1:2 with linespoints title 'ae1024-s3 gradual', 'frontier_autoencoders.dat' index 6 using 1:2 with linespoints title 'ae1024-s3 gradual+rows0.15'
