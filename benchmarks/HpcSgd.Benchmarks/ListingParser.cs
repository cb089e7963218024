using System.Text;
using System.Text.RegularExpressions;

namespace HpcSgd.Benchmarks;

/// <summary>
/// Reads a JIT listing (<c>DOTNET_JitDisasm</c>, x64 or ARM64) into methods and their innermost loops, and counts what each
/// loop does: instructions, FMAs, memory reads and stores, and stack accesses of vector and general registers.
/// </summary>
public static partial class ListingParser
{
    /// <summary>What one innermost loop of a listing holds.</summary>
    public readonly record struct LoopCounts(int Instructions, int Fmas, int Reads, int Stores, int VectorStack, int GeneralStack, string Text);

    /// <summary>A method of the listing with its innermost loops, in listing order.</summary>
    public sealed record MethodLoops(string Name, IReadOnlyList<LoopCounts> InnerLoops);

    /// <summary>
    /// Splits a JIT listing into methods and finds each one's innermost loops: a loop runs from a label to the last
    /// jump back to it; innermost means no other loop starts inside it.
    /// </summary>
    public static IReadOnlyList<MethodLoops> Parse(string listing)
    {
        var methods = new List<MethodLoops>();
        string[] parts = listing.Split("; Assembly listing for method ");
        foreach (string part in parts.Skip(1))
        {
            string[] lines = part.Split('\n');
            string name = ShortName(lines[0]);
            var labels = new Dictionary<string, int>();
            var loops = new List<(int Start, int End)>();
            for (int i = 0; i < lines.Length; i++)
            {
                Match label = LabelLine().Match(lines[i]);
                if (label.Success)
                {
                    labels[label.Groups[1].Value] = i;
                    continue;
                }
                Match jump = JumpLine().Match(lines[i]);
                if (jump.Success && labels.TryGetValue(jump.Groups[1].Value, out int start))
                {
                    int existing = loops.FindIndex(l => l.Start == start);
                    if (existing >= 0)
                        loops[existing] = (start, i);
                    else
                        loops.Add((start, i));
                }
            }
            var inner = loops.Where(l => !loops.Any(o => o != l && o.Start >= l.Start && o.End <= l.End))
                .OrderBy(l => l.Start)
                .Select(l => Count(lines.AsSpan(l.Start + 1, l.End - l.Start)))
                .ToList();
            methods.Add(new MethodLoops(name, inner));
        }
        return methods;
    }

    private static LoopCounts Count(ReadOnlySpan<string> lines)
    {
        int instructions = 0, fmas = 0, reads = 0, stores = 0, vectorStack = 0, generalStack = 0;
        var text = new StringBuilder();
        foreach (string raw in lines)
        {
            text.AppendLine(raw.TrimEnd());
            Match instruction = InstructionLine().Match(raw);
            if (!instruction.Success)
                continue;
            string mnemonic = instruction.Groups[1].Value;
            string operands = instruction.Groups[2].Value;
            if (mnemonic == "align" || mnemonic.StartsWith("nop", StringComparison.Ordinal))
                continue;
            instructions++;
            if (mnemonic.StartsWith("vfmadd", StringComparison.Ordinal) || mnemonic.StartsWith("vfnmadd", StringComparison.Ordinal) || mnemonic == "fmla")
                fmas++;
            Match memory = MemoryOperand().Match(operands);
            if (!memory.Success || mnemonic == "lea")
                continue;
            int bracket = memory.Index;
            // x64: a memory operand first is a destination (a store) for moves, read otherwise; ARM64: st* stores.
            bool store = mnemonic.StartsWith("st", StringComparison.Ordinal)
                || (bracket < operands.IndexOf(',', StringComparison.Ordinal) && mnemonic.Contains("mov", StringComparison.Ordinal));
            if (store)
                stores++;
            else
                reads++;
            if (StackOperand().IsMatch(operands))
            {
                if (mnemonic.StartsWith('v') || VectorRegister().IsMatch(operands))
                    vectorStack++;
                else
                    generalStack++;
            }
        }
        return new LoopCounts(instructions, fmas, reads, stores, vectorStack, generalStack, text.ToString());
    }

    /// <summary>"Ns.Type:Method[Ns.TOps,TVec,Ns.Type+Batch64](args) (FullOpts)" -> "Type.Method[TOps, Batch64]".</summary>
    private static string ShortName(string header)
    {
        string method = header.Split(' ')[0];
        int paren = method.IndexOf("](", StringComparison.Ordinal);
        method = paren >= 0 ? method[..(paren + 1)] : method;
        int colon = method.IndexOf(':', StringComparison.Ordinal);
        string type = colon >= 0 ? method[..colon].Split('.')[^1] : "";
        method = colon >= 0 ? method[(colon + 1)..] : method;
        int open = method.IndexOf('[', StringComparison.Ordinal);
        if (open < 0)
            return $"{type}.{method}";
        // Keep the type arguments that tell instantiations apart: the vector operations and the batch size.
        string[] arguments = method[(open + 1)..^1].Split(',')
            .Select(a => a.Split('.', '+')[^1])
            .Where(a => !a.StartsWith("Vector", StringComparison.Ordinal) || a.EndsWith("Ops", StringComparison.Ordinal))
            .ToArray();
        return $"{type}.{method[..open]}[{string.Join(", ", arguments)}]";
    }

    [GeneratedRegex(@"^(G_M\d+_IG\d+):")]
    private static partial Regex LabelLine();

    // Only branches name a label: x64 jcc/jmp, ARM64 b, b.cond, cbz/cbnz, tbz/tbnz.
    [GeneratedRegex(@"^\s+[a-z][a-z.]*\s+.*?(G_M\d+_IG\d+)\s*$")]
    private static partial Regex JumpLine();

    [GeneratedRegex(@"^\s+([a-z][a-z0-9.]*)\s*(.*)$")]
    private static partial Regex InstructionLine();

    // A memory operand opens with a register ([rcx+0x40], [x10, #0xC40]); ARM64's lane index (v7.s[0]) is not one.
    [GeneratedRegex(@"\[[a-z]")]
    private static partial Regex MemoryOperand();

    // The frame: x64 [rsp...], [rbp...]; ARM64 [sp, ...], [fp, ...].
    [GeneratedRegex(@"\[(rsp|rbp|sp|fp)\b")]
    private static partial Regex StackOperand();

    // A vector register among the operands: x64 xmm/ymm/zmm; ARM64 q, d, s or v registers.
    [GeneratedRegex(@"\b([xyz]mm\d+|[qdsv]\d+)\b")]
    private static partial Regex VectorRegister();
}
