using System.Runtime.InteropServices;

namespace ThermalPlant.Simulation.Dsp;

/// <summary>
/// Pinned double arrays with a start index on a 64-byte boundary, so that 512-bit accesses at multiples of
/// eight doubles from it never straddle two cache lines.
/// </summary>
internal static class CacheAligned
{
    /// <summary>Doubles in one 64-byte cache line.</summary>
    public const int LineDoubles = 8;

    /// <summary>An array holding at least <paramref name="length"/> doubles from <c>Start</c>, which is 64-byte aligned.</summary>
    public static (double[] Array, int Start) Allocate(int length)
    {
        // Pinned, so the alignment found now holds for the array's life.
        var array = GC.AllocateArray<double>(length + LineDoubles, pinned: true);
        var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        var address = handle.AddrOfPinnedObject();
        handle.Free();
        return (array, (int)((64 - (address % 64)) % 64 / sizeof(double)));
    }
}
