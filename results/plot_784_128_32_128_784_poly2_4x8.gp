set terminal pngcairo size 900,600
set key outside right top
set grid
set logscale y
set format y '%.0e'
set yrange [1e-6:*]
set ylabel 'delta test MSE vs dense, same epochs (<= 1e-6 drawn at 1e-6)'
set arrow from graph 0, first 1.5e-05 to graph 1, first 1.5e-05 nohead dt 2
set arrow from graph 0, first 5e-05 to graph 1, first 5e-05 nohead dt 2
set arrow from graph 0, first 0.0001 to graph 1, first 0.0001 nohead dt 2
set arrow from graph 0, first 0.0003 to graph 1, first 0.0003 nohead dt 2
set output 'plot_784_128_32_128_784_poly2_4x8_tiles.png'
set title 'delta MSE vs tiles: 784-128-32-128-784:poly2, tile 4x8' noenhanced
set xlabel 'remaining weight tiles (% of dense)'
plot 'plot_784_128_32_128_784_poly2_4x8.dat' index 0 using 1:4 with linespoints title 'P1', 'plot_784_128_32_128_784_poly2_4x8.dat' index 1 using 1:4 with linespoints title 'P2', 'plot_784_128_32_128_784_poly2_4x8.dat' index 2 using 1:4 with linespoints title 'P2/sal', 'plot_784_128_32_128_784_poly2_4x8.dat' index 3 using 1:4 with linespoints title 'P2/sal+long', 'plot_784_128_32_128_784_poly2_4x8.dat' index 4 using 1:4 with linespoints title 'P3', 'plot_784_128_32_128_784_poly2_4x8.dat' index 5 using 1:4 with linespoints title 'P4', 'plot_784_128_32_128_784_poly2_4x8.dat' index 6 using 1:4 with linespoints title 'P4E', 'plot_784_128_32_128_784_poly2_4x8.dat' index 7 using 1:4 with linespoints title 'P4E/sal', 'plot_784_128_32_128_784_poly2_4x8.dat' index 8 using 1:4 with linespoints title 'P4E/sal+long'
set output 'plot_784_128_32_128_784_poly2_4x8_cost.png'
set title 'delta MSE vs cost: 784-128-32-128-784:poly2, tile 4x8' noenhanced
set xlabel 'remaining HE cost: tiles x RNS limbs (% of dense)'
plot 'plot_784_128_32_128_784_poly2_4x8.dat' index 0 using 2:4 with linespoints title 'P1', 'plot_784_128_32_128_784_poly2_4x8.dat' index 1 using 2:4 with linespoints title 'P2', 'plot_784_128_32_128_784_poly2_4x8.dat' index 2 using 2:4 with linespoints title 'P2/sal', 'plot_784_128_32_128_784_poly2_4x8.dat' index 3 using 2:4 with linespoints title 'P2/sal+long', 'plot_784_128_32_128_784_poly2_4x8.dat' index 4 using 2:4 with linespoints title 'P3', 'plot_784_128_32_128_784_poly2_4x8.dat' index 5 using 2:4 with linespoints title 'P4', 'plot_784_128_32_128_784_poly2_4x8.dat' index 6 using 2:4 with linespoints title 'P4E', 'plot_784_128_32_128_784_poly2_4x8.dat' index 7 using 2:4 with linespoints title 'P4E/sal', 'plot_784_128_32_128_784_poly2_4x8.dat' index 8 using 2:4 with linespoints title 'P4E/sal+long'
