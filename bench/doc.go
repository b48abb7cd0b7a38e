// Package bench holds quinte's benchmarks (`make bench`): each compares quinte's work with a
// reference tool doing the same job, in the same run, and prints the ratio.
package bench
