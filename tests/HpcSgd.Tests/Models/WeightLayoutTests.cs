using HpcSgd.Models;

namespace HpcSgd.Tests.Models;

public class WeightLayoutTests
{
    [Theory]
    [InlineData(WeightLayout.OutputMajor, 7, 48)]
    [InlineData(WeightLayout.InputMajor, 7, 48)]
    [InlineData(WeightLayout.InputMajorPanels, 7, 48)]
    [InlineData(WeightLayout.InputMajorPanels, 1, 16)]
    public void WeightIndex_MapsEveryWeightToItsOwnPlace_InsideTheLayersRange(WeightLayout layout, int inputs, int outputs)
    {
        var layer = new LayerDescription(inputs, outputs, Activation.Identity, WeightOffset: 100, BiasOffset: 100 + inputs * outputs, layout);
        var places = new HashSet<int>();
        for (int o = 0; o < outputs; o++)
        {
            for (int i = 0; i < inputs; i++)
            {
                places.Add(layer.WeightIndex(o, i));
            }
        }
        Assert.Equal(inputs * outputs, places.Count);
        Assert.Equal(100, places.Min());
        Assert.Equal(100 + inputs * outputs - 1, places.Max());
    }

    [Fact]
    public void InputMajorPanels_HoldsSixteenOutputsPerPanel_InputAfterInput()
    {
        var layer = new LayerDescription(7, 48, Activation.Identity, WeightOffset: 0, BiasOffset: 7 * 48, WeightLayout.InputMajorPanels);
        // Within a panel, one input's 16 weights are adjacent, and the next input's follow them.
        Assert.Equal(0, layer.WeightIndex(0, 0));
        Assert.Equal(15, layer.WeightIndex(15, 0));
        Assert.Equal(16, layer.WeightIndex(0, 1));
        Assert.Equal(6 * 16 + 15, layer.WeightIndex(15, 6));
        // The second panel (outputs 16-31) starts after all 7 inputs of the first.
        Assert.Equal(7 * 16, layer.WeightIndex(16, 0));
        Assert.Equal(2 * 7 * 16 + 3 * 16 + 5, layer.WeightIndex(37, 3));
    }

    [Fact]
    public void InputMajorPanels_NeedWholePanels()
    {
        var layers = new[] { new LayerDescription(7, 24, Activation.Identity, 0, 7 * 24, WeightLayout.InputMajorPanels) };
        var error = Assert.Throws<ArgumentException>(() => new ModelDescription("Partial", Loss.MeanSquaredError, layers, []));
        Assert.Contains("layer 0 has 24 outputs in the layout InputMajorPanels, whose panels need a multiple of 16", error.Message);
    }
}
