namespace ThermalPlant.Simulation.Dsp;

/// <summary>The orthonormal DCT-II from <paramref name="inputs"/> values to the first <paramref name="outputs"/> coefficients (torchaudio's <c>create_dct(norm="ortho")</c>).</summary>
internal sealed class DctII(int outputs, int inputs)
{
    private readonly double[] _matrix = Build(outputs, inputs);

    public void Apply(ReadOnlySpan<double> input, Span<double> output)
    {
        for (var k = 0; k < outputs; k++)
        {
            var row = _matrix.AsSpan(k * inputs, inputs);
            double sum = 0;
            for (var n = 0; n < inputs; n++)
            {
                sum += row[n] * input[n];
            }
            output[k] = sum;
        }
    }

    private static double[] Build(int outputs, int inputs)
    {
        var matrix = new double[outputs * inputs];
        for (var k = 0; k < outputs; k++)
        {
            var scale = k == 0 ? Math.Sqrt(1.0 / inputs) : Math.Sqrt(2.0 / inputs);
            for (var n = 0; n < inputs; n++)
            {
                matrix[(k * inputs) + n] = scale * Math.Cos(Math.PI / inputs * (n + 0.5) * k);
            }
        }
        return matrix;
    }
}
