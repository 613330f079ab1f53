set terminal pngcairo size 1000,620
set output 'frontier_autoencoders.png'
set key outside right top noenhanced
set grid
set title 'issue 14: autoencoders, test delta against what the pruned model keeps' noenhanced
set xlabel 'HE cost kept (% of dense)'
set ylabel 'test delta loss, % of the dense loss'
set yrange [-1:10]
set arrow from graph 0, first 2.5 to graph 1, first 2.5 nohead dt 2
plot 'frontier_autoencoders.dat' index 0 using 1:2 with linespoints title 'ae256-fashion hrows0.08', 'frontier_autoencoders.dat' index 1 using 1:2 with linespoints title 'ae256-fashion hrows0.15', 'frontier_autoencoders.dat' index 2 using 1:2 with linespoints title 'ae256-fashion mrows0.02', 'frontier_autoencoders.dat' index 3 using 1:2 with linespoints title 'ae256-fashion mrows0.04', 'frontier_autoencoders.dat' index 4 using 1:2 with linespoints title 'ae256-fashion mrows0.08', 'frontier_autoencoders.dat' index 5 using 1:2 with linespoints title 'ae256-fashion oneshot'
