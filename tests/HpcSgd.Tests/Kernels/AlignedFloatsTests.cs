using System.Runtime.CompilerServices;
using HpcSgd.Kernels;

namespace HpcSgd.Tests.Kernels;

public class AlignedFloatsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(784 * 64)]
    public unsafe void Buffers_start_on_a_cache_line_and_stay_there_across_collections(int length)
    {
        var buffers = Enumerable.Range(0, 20).Select(_ => new AlignedFloats(length)).ToArray();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        foreach (AlignedFloats buffer in buffers)
        {
            Assert.Equal(length, buffer.Span.Length);
            Assert.Equal(0, (nint)Unsafe.AsPointer(ref buffer.Span[0]) % 64);
            Assert.All(buffer.Span.ToArray(), value => Assert.Equal(0f, value));
        }
    }

    [Fact]
    public void An_empty_buffer_is_an_empty_span() => Assert.True(new AlignedFloats(0).Span.IsEmpty);
}
