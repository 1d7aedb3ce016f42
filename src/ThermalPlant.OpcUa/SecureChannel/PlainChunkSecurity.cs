namespace ThermalPlant.OpcUa.SecureChannel;

/// <summary>Chunks neither signed nor encrypted.</summary>
internal sealed class PlainChunkSecurity : ChunkSecurity
{
    public override int MaxBodyLength(int chunkLimit, int headerLength) => chunkLimit - headerLength - SequenceHeader.Length;

    public override int ChunkLength(int headerLength, int bodyLength) => headerLength + SequenceHeader.Length + bodyLength;

    public override void Protect(Span<byte> chunk, int headerLength, int bodyLength)
    {
    }

    public override int Unprotect(Span<byte> chunk, int headerLength) => chunk.Length - headerLength;
}
