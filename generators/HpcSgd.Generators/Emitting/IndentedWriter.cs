using System;
using System.Text;

namespace HpcSgd.Generators.Emitting;

/// <summary>Writes C# text line by line with four-space indentation and braces that open and close blocks.</summary>
internal sealed class IndentedWriter
{
    private readonly StringBuilder text = new();
    private int depth;

    public void Line(string line = "")
    {
        if (line.Length > 0)
        {
            text.Append(' ', depth * 4).Append(line);
        }
        text.Append('\n');
    }

    /// <summary>Writes <paramref name="header"/> (if any) and an opening brace; dispose to close the block.</summary>
    public Block Open(string? header = null)
    {
        if (header is not null)
        {
            Line(header);
        }
        Line("{");
        depth++;
        return new Block(this);
    }

    public override string ToString() => text.ToString();

    public readonly struct Block : IDisposable
    {
        private readonly IndentedWriter writer;

        public Block(IndentedWriter writer) => this.writer = writer;

        public void Dispose()
        {
            writer.depth--;
            writer.Line("}");
        }
    }
}
