namespace HpcSgd.Generators.Planning;

/// <summary>How a product is computed: which operand runs along the vector lanes.</summary>
internal enum ProductForm
{
    /// <summary>Vectors along a row of B and of C; elements of A broadcast (the BLIS microkernel).</summary>
    Broadcast,

    /// <summary>Vectors along the depth of both operands, each accumulator summed across its lanes at the end.</summary>
    Dot,
}

/// <summary>
/// A register tile: <see cref="Rows"/> rows of C x <see cref="Columns"/> (vectors of C in the broadcast form,
/// columns of C in the dot form). Per depth step the kernel loads A's <see cref="Rows"/> elements (broadcast) or vectors
/// and B's <see cref="Columns"/> vectors, in the order <see cref="LoadsBFirst"/> gives: B first keeps one A register
/// live instead of <see cref="Rows"/>, which is what lets a 6 x 2 tile fit 16 registers. In the broadcast form,
/// <see cref="PacksB"/> says the tile reads B from a packed copy of each panel (<see cref="TilePlanner.PacksB"/>),
/// <see cref="PacksA"/> that it reads A from a copy packed in strips of its rows (<see cref="TilePlanner.PacksA"/>).
/// </summary>
internal sealed record Tile(int Rows, int Columns, bool LoadsBFirst, bool PacksB = false, bool PacksA = false)
{
    /// <summary>Vector registers live in the inner step: the accumulators, the operand loaded first, one of the other.</summary>
    public int Registers => Rows * Columns + (LoadsBFirst ? Columns : Rows) + 1;

    public override string ToString() => $"{Rows} x {Columns}";
}
