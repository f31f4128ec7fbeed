using Orleans.Serialization;
using Orleans.Storage;

namespace CallEvents;

/// <summary>
/// Stores grain state with Orleans' own version-tolerant binary serializer instead of the default JSON:
/// every write rewrites the whole state, so a compact encoding is the cheapest win (raw payloads stay bytes,
/// not base64). Field ids and aliases on the state types keep stored state readable across renames.
/// </summary>
internal sealed class BinaryGrainStorageSerializer(Serializer serializer) : IGrainStorageSerializer
{
    public BinaryData Serialize<T>(T? input) => new(serializer.SerializeToArray(input));

    public T? Deserialize<T>(BinaryData input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return serializer.Deserialize<T>(input.ToMemory());
    }
}
