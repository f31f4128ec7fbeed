using System.Globalization;
using CallEvents.Samples;

namespace CallEvents.LoadTest.Workload;

/// <summary>
/// Makes provider traffic: calls (Verbex: CallStarted, CallEnded, pcaCompleted; SubVerse: in_queue, placed,
/// completed with analysis, or a failure) and workflow executions (in_queue, started, K node executions,
/// completed), with bodies from the shared sample generator (<see cref="ProviderBodies"/>). Deliveries of a window of
/// entities are interleaved; an entity's deliveries may be shuffled and redelivered. Thread-safe; entities are
/// created lazily so long runs keep only the model, not every body, in memory.
/// </summary>
public sealed class WorkloadGenerator
{
    private static readonly DateTimeOffset BaseTime = new(2025, 12, 8, 10, 0, 0, TimeSpan.Zero);
    private static readonly string[] Organizations = [.. Enumerable.Range(0, 8).Select(i => new Guid(i + 1, 0x0105, 0x4c5e, 0x8d, 0x67, 0xc3, 0xc2, 0x99, 0x80, 0x56, (byte)i).ToString())];
    private static readonly string[] Sentiments = ["positive", "neutral", "negative"];

    private readonly WorkloadOptions _options;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly List<List<Delivery>> _active = [];
    private readonly List<EntityModel> _entities = [];
    private readonly string _runTag;
    private long _callsCreated;
    private long _workflowsCreated;
    private long _deliveries;

    public WorkloadGenerator(WorkloadOptions options, string? runTag = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _random = new Random(options.Seed);
        _runTag = runTag ?? Guid.NewGuid().ToString("N")[..8];
    }

    /// <summary>A short tag in every id of this run, so runs against one long-lived host never share an entity.</summary>
    public string RunTag => _runTag;

    /// <summary>Every entity created so far.</summary>
    public IReadOnlyList<EntityModel> Entities
    {
        get
        {
            lock (_gate)
            {
                return [.. _entities];
            }
        }
    }

    /// <summary>Deliveries handed out so far.</summary>
    public long DeliveriesHandedOut => Interlocked.Read(ref _deliveries);

    /// <summary>The next delivery, or false when the workload is exhausted.</summary>
    public bool TryNext(out Delivery delivery)
    {
        lock (_gate)
        {
            if (_options.MaxDeliveries > 0 && _deliveries >= _options.MaxDeliveries)
            {
                delivery = null!;
                return false;
            }

            while (_active.Count < _options.Window && TryCreateEntity(out var deliveries))
            {
                _active.Add(deliveries);
            }

            if (_active.Count == 0)
            {
                delivery = null!;
                return false;
            }

            var index = _random.Next(_active.Count);
            var queue = _active[index];
            delivery = queue[^1];
            queue.RemoveAt(queue.Count - 1);
            if (queue.Count == 0)
            {
                _active[index] = _active[^1];
                _active.RemoveAt(_active.Count - 1);
            }

            _deliveries++;
            return true;
        }
    }

    private bool TryCreateEntity(out List<Delivery> deliveries)
    {
        if (_options.Unbounded)
        {
            // Duration-bounded: keep the configured mix of calls and workflows, without a count limit.
            var total = _options.Calls + _options.Workflows;
            var wantWorkflow = total > 0 && _random.NextDouble() < (double)_options.Workflows / total;
            deliveries = wantWorkflow ? CreateWorkflow() : CreateCall();
            return true;
        }

        var callsLeft = _options.Calls - _callsCreated;
        var workflowsLeft = _options.Workflows - _workflowsCreated;
        if (callsLeft <= 0 && workflowsLeft <= 0)
        {
            deliveries = null!;
            return false;
        }

        var workflow = workflowsLeft > 0 && (callsLeft <= 0 || _random.NextDouble() < (double)workflowsLeft / (callsLeft + workflowsLeft));
        deliveries = workflow ? CreateWorkflow() : CreateCall();
        return true;
    }

    private List<Delivery> CreateCall()
    {
        var n = _callsCreated++;
        var start = BaseTime.AddMilliseconds(n * 37 + _random.Next(37));
        return _random.NextDouble() < _options.VerbexShare ? CreateVerbexCall(n, start) : CreateSubVerseCall(n, start);
    }

    private List<Delivery> CreateVerbexCall(long n, DateTimeOffset start)
    {
        // Mongo-ObjectId-like 24 hex digits, as in the guide's examples.
        var callId = string.Create(CultureInfo.InvariantCulture, $"{_runTag}{n:x16}");
        var organizationId = Organizations[_random.Next(Organizations.Length)];
        var agentId = NewGuid().ToString();
        var startedUs = ProviderBodies.ToUnixMicroseconds(start) + _random.Next(1_000_000);
        var endedUs = startedUs + (30L + _random.Next(600)) * 1_000_000 + _random.Next(1_000_000);
        var pcaUs = endedUs + (1L + _random.Next(30)) * 1_000_000 + _random.Next(1_000_000);
        var kinds = new (EventKind Kind, long Us)[] { (EventKind.VerbexCallStarted, startedUs), (EventKind.VerbexCallEnded, endedUs), (EventKind.VerbexPcaCompleted, pcaUs) };

        var events = new List<EventModel>();
        var bodies = new List<(EventModel Model, byte[] Body, KeyValuePair<string, string>[] Headers)>();
        foreach (var (kind, us) in kinds)
        {
            var e = new VerbexEvent(kind, organizationId, NewGuid().ToString(), us, callId, agentId);
            var model = new EventModel { Kind = kind, ProviderTime = e.ProviderTime };
            var body = ProviderBodies.Verbex(e);
            var headers = ProviderBodies.VerbexHeaders(kind, e.TraceId, model.ProviderTime);
            events.Add(model);
            bodies.Add((model, body, headers));
        }

        var entity = new EntityModel { Type = EntityType.VerbexCall, EntityId = callId, Events = events };
        return Schedule(entity, bodies);
    }

    private List<Delivery> CreateSubVerseCall(long n, DateTimeOffset start)
    {
        var callId = string.Create(CultureInfo.InvariantCulture, $"call_{_runTag}_{n}");
        var agent = _random.Next(20);
        var customer = string.Create(CultureInfo.InvariantCulture, $"+9198{_random.Next(10_000_000, 99_999_999)}");
        var queued = ProviderBodies.TruncateToMs(start.AddMilliseconds(_random.Next(1000)));
        var placed = queued.AddMilliseconds(500 + _random.Next(20_000));
        var finished = placed.AddSeconds(30 + _random.Next(600)).AddMilliseconds(_random.Next(1000));
        var duration = (int)(finished - placed).TotalSeconds;

        List<(EventKind Kind, DateTimeOffset Time, string? Reason)> plan;
        if (_random.NextDouble() < _options.FailureRate)
        {
            plan = _random.Next(3) switch
            {
                0 => [(EventKind.SubVerseInQueue, queued, null), (EventKind.SubVersePlaced, placed, null), (EventKind.SubVerseErrored, finished, "carrier returned SIP 503")],
                1 => [(EventKind.SubVerseInQueue, queued, null), (EventKind.SubVerseCanceled, placed.AddMilliseconds(250), "canceled by campaign")],
                _ => [(EventKind.SubVerseInQueue, queued, null), (EventKind.SubVersePlaced, placed, null), (EventKind.SubVerseExpired, finished, "not answered within the call window")],
            };
        }
        else
        {
            plan = [(EventKind.SubVerseInQueue, queued, null), (EventKind.SubVersePlaced, placed, null), (EventKind.SubVerseCompleted, finished, null)];
        }

        var sentiment = Sentiments[_random.Next(Sentiments.Length)];
        var events = new List<EventModel>();
        var bodies = new List<(EventModel Model, byte[] Body, KeyValuePair<string, string>[] Headers)>();
        foreach (var (kind, time, reason) in plan)
        {
            var model = new EventModel { Kind = kind, ProviderTime = time, Reason = reason };
            var body = ProviderBodies.SubVerseCall(new SubVerseCallEvent(
                kind, time, callId, customer, string.Create(CultureInfo.InvariantCulture, $"agent_{agent}"), placed, duration, sentiment, reason));
            events.Add(model);
            bodies.Add((model, body, []));
        }

        var entity = new EntityModel { Type = EntityType.SubVerseCall, EntityId = callId, Events = events };
        return Schedule(entity, bodies);
    }

    private List<Delivery> CreateWorkflow()
    {
        var n = _workflowsCreated++;
        var executionId = string.Create(CultureInfo.InvariantCulture, $"exec_{_runTag}_{n}");
        var workflow = _random.Next(50);
        var queued = ProviderBodies.TruncateToMs(BaseTime.AddMilliseconds(n * 211 + _random.Next(211)));
        var started = queued.AddMilliseconds(200 + _random.Next(5000));
        var nodes = _options.NodesPerWorkflow;
        var plan = new List<(EventKind Kind, DateTimeOffset Time, string? Node, int Executed)>
        {
            (EventKind.WorkflowInQueue, queued, null, 0),
            (EventKind.WorkflowStarted, started, null, 0),
        };
        var time = started;
        for (var i = 0; i < nodes; i++)
        {
            time = time.AddMilliseconds(1000 + _random.Next(30_000));
            plan.Add((EventKind.WorkflowNodeExecution, time, string.Create(CultureInfo.InvariantCulture, $"node_{i + 1}"), i + 1));
        }

        var completed = time.AddMilliseconds(500 + _random.Next(5000));
        plan.Add((EventKind.WorkflowCompleted, completed, null, nodes));

        var events = new List<EventModel>();
        var bodies = new List<(EventModel Model, byte[] Body, KeyValuePair<string, string>[] Headers)>();
        foreach (var (kind, at, node, executed) in plan)
        {
            var model = new EventModel { Kind = kind, ProviderTime = at, NodeName = node };
            var body = ProviderBodies.Workflow(new WorkflowEvent(
                kind, at, string.Create(CultureInfo.InvariantCulture, $"wf_{workflow}"), executionId, started, node, executed));
            events.Add(model);
            bodies.Add((model, body, []));
        }

        var entity = new EntityModel { Type = EntityType.Workflow, EntityId = executionId, Events = events };
        return Schedule(entity, bodies);
    }

    /// <summary>
    /// Orders one entity's deliveries: provider order or shuffled, each event possibly redelivered later with the
    /// same bytes. Returned reversed, so the next delivery is taken from the end.
    /// </summary>
    private List<Delivery> Schedule(EntityModel entity, List<(EventModel Model, byte[] Body, KeyValuePair<string, string>[] Headers)> bodies)
    {
        _entities.Add(entity);
        var list = new List<Delivery>(bodies.Count + 2);
        foreach (var (model, body, headers) in bodies)
        {
            list.Add(Make(entity, model, body, headers, redelivery: false));
        }

        foreach (var (model, body, headers) in bodies)
        {
            if (_random.NextDouble() >= _options.DuplicateRate)
            {
                continue;
            }

            var copies = _random.NextDouble() < 0.1 ? 2 : 1;
            for (var c = 0; c < copies; c++)
            {
                // A provider retry comes after the first attempt.
                var first = list.FindIndex(d => d.Event == model);
                list.Insert(_random.Next(first + 1, list.Count + 1), Make(entity, model, body, headers, redelivery: true));
            }
        }

        if (_random.NextDouble() < _options.ShuffleShare)
        {
            for (var i = list.Count - 1; i > 0; i--)
            {
                var j = _random.Next(i + 1);
                (list[i], list[j]) = (list[j], list[i]);
            }
        }

        list.Reverse();
        return list;
    }

    private Delivery Make(EntityModel entity, EventModel model, byte[] body, KeyValuePair<string, string>[] headers, bool redelivery) => new()
    {
        Entity = entity,
        Event = model,
        Body = body,
        Headers = headers,
        IsRedelivery = redelivery,
        DelayMs = _options.MaxDelayMs > 0 ? _random.Next(_options.MaxDelayMs + 1) : 0,
    };

    private Guid NewGuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }
}
