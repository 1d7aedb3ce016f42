using System.Reflection;
using BenchmarkDotNet.Running;

// Every suite in this assembly; pick with --filter, e.g. `--filter *AudioFeatures*`.
BenchmarkSwitcher.FromAssembly(Assembly.GetExecutingAssembly()).Run(args);
