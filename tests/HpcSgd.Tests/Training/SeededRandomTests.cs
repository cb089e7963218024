using HpcSgd.Training;

namespace HpcSgd.Tests.Training;

public class SeededRandomTests
{
    /// <summary>
    /// Large orders are shuffled with each partner drawn ahead of its swap (for prefetching); the draws and swaps must
    /// stay those of plain Fisher-Yates, so a seed gives the same epoch order whatever the data set's size.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(17)]
    [InlineData(65_536)]
    [InlineData(65_537)]
    [InlineData(1_000_003)]
    public void Shuffle_is_plain_Fisher_Yates_at_every_size(int count)
    {
        int[] shuffled = Enumerable.Range(0, count).ToArray();
        var random = new SeededRandom(42);
        random.Shuffle(shuffled);

        int[] expected = Enumerable.Range(0, count).ToArray();
        var reference = new SeededRandom(42);
        for (int i = count - 1; i > 0; i--)
        {
            int j = reference.NextInt(i + 1);
            (expected[i], expected[j]) = (expected[j], expected[i]);
        }

        Assert.Equal(expected, shuffled);
        // The generator continues from the same state too.
        Assert.Equal(reference.NextUInt64(), random.NextUInt64());
    }

    [Fact]
    public void Shuffle_of_a_large_order_is_a_permutation_that_moves_most_items()
    {
        int[] items = Enumerable.Range(0, 300_000).ToArray();
        new SeededRandom(7).Shuffle(items);
        Assert.Equal(Enumerable.Range(0, 300_000), items.Order());
        Assert.True(items.Where((value, index) => value == index).Count() < 10, "a uniform permutation of 300,000 fixes one item on average");
    }
}
