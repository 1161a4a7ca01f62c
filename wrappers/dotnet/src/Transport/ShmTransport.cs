using System;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Threading;

namespace Ferrite.Wrapper.Transport
{
    /// <summary>
    /// Shared memory (PROTOCOL.md section 2, "shm"): the byte stream goes through the two
    /// rings of the segment at <c>FERRITE_SHM_PATH</c> (<see cref="ShmEndpoint"/>), and the
    /// unix socket at <c>FERRITE_ADDRESS</c> carries only the doorbells, and by closing says
    /// the processor has gone.
    ///
    /// A read or a write that cannot go on re-checks its ring for <c>FERRITE_SPIN_MICROS</c>,
    /// then announces a sleep and blocks on the doorbell. The worker reads on its own thread
    /// and writes from it too (and a handler's threads may log), so the reader and a writer
    /// can both wait at once on the one socket: whichever blocks first reads the socket and
    /// tells the other of every wake-up (<see cref="WaitForBell"/>), since a ring byte may
    /// be meant for either.
    ///
    /// A write that finds the ring full blocks, even on the thread that also reads. That is
    /// safe because the processor drains <c>to_processor</c> independently of writing
    /// <c>to_wrapper</c> (its reader never waits for its writer), so the space comes without
    /// this side reading; the protocol's rule that a side waiting for space keeps reading is
    /// for sides whose reads could wait behind their writes.
    /// </summary>
    public sealed class ShmTransport : ITransport
    {
        private static readonly byte[] Doorbell = { 1 };

        private readonly ShmEndpoint end;
        private readonly Socket bell;
        private readonly long spinTicks;

        /// <summary>Guards the fields below; the waiters of <see cref="WaitForBell"/> wait on it.</summary>
        private readonly object waiting = new object();

        /// <summary>Whether a thread is blocked reading the doorbell socket.</summary>
        private bool listening;

        /// <summary>How many times the doorbell socket returned: a waiter that saw it change was woken.</summary>
        private long wakeups;

        /// <summary>The socket reached its end (the processor has gone), or this transport was disposed.</summary>
        private volatile bool closed;

        /// <summary>Where the rings waiting on the socket are drained to, by the one thread listening.</summary>
        private readonly byte[] rings = new byte[64];

        /// <param name="end">This side's halves of the segment; the transport disposes it.</param>
        /// <param name="bell">The connected doorbell socket; the transport closes it.</param>
        /// <param name="spinMicros">How long to re-check a ring before announcing a sleep.</param>
        public ShmTransport(ShmEndpoint end, Socket bell, int spinMicros)
        {
            this.end = end;
            this.bell = bell;
            spinTicks = spinMicros * Stopwatch.Frequency / 1000000;
        }

        /// <summary>Maps and claims the segment, then connects to its doorbell socket.</summary>
        public static ShmTransport Connect(Config config)
        {
            var end = ShmEndpoint.Open(config.ShmPath);
            try
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    socket.Connect(new UnixDomainSocketEndPoint(config.Address));
                }
                catch
                {
                    socket.Close();
                    throw;
                }
                return new ShmTransport(end, socket, config.SpinMicros);
            }
            catch
            {
                end.Dispose();
                throw;
            }
        }

        public int Read(byte[] buffer, int offset, int count)
        {
            var consumer = end.Consumer;
            end.Pin();
            try
            {
                while (true)
                {
                    // Read before the ring: the processor wrote its last bytes before it closed.
                    bool ended = Closed();
                    int n = consumer.Read(buffer, offset, count);
                    if (n > 0)
                    {
                        if (consumer.NeedsRing())
                        {
                            Ring();
                        }
                        return n;
                    }
                    if (ended)
                    {
                        return 0;
                    }
                    if (Spin(consumer, null))
                    {
                        continue;
                    }
                    long seen = Wakeups();
                    if (consumer.PrepareToSleep())
                    {
                        WaitForBell(seen);
                    }
                    consumer.CancelSleep();
                }
            }
            finally
            {
                end.Unpin();
            }
        }

        public void Write(byte[] buffer, int offset, int count)
        {
            var producer = end.Producer;
            end.Pin();
            try
            {
                while (count > 0)
                {
                    int n = producer.Write(buffer, offset, count);
                    if (n > 0)
                    {
                        offset += n;
                        count -= n;
                        if (producer.NeedsRing())
                        {
                            Ring();
                        }
                        continue;
                    }
                    if (Closed())
                    {
                        throw new IOException("the processor has gone: the shm doorbell socket closed while " + count + " bytes waited for room");
                    }
                    if (Spin(null, producer))
                    {
                        continue;
                    }
                    long seen = Wakeups();
                    if (producer.PrepareToSleep())
                    {
                        WaitForBell(seen);
                    }
                    producer.CancelSleep();
                }
            }
            finally
            {
                end.Unpin();
            }
        }

        /// <summary>Re-checks the consumer's data or the producer's space for up to the spin time: true when it came.</summary>
        private bool Spin(ShmConsumer consumer, ShmProducer producer)
        {
            if (spinTicks <= 0)
            {
                return false;
            }
            long until = Stopwatch.GetTimestamp() + spinTicks;
            do
            {
                if (consumer != null ? consumer.Available() > 0 : producer.Free() > 0)
                {
                    return true;
                }
                Thread.SpinWait(20);
            }
            while (Stopwatch.GetTimestamp() < until);
            return false;
        }

        private void Ring()
        {
            try
            {
                bell.Send(Doorbell);
            }
            catch (SocketException)
            {
                // The processor has gone; whoever waits next reads the socket's end and says so.
            }
            catch (ObjectDisposedException)
            {
            }
        }

        private long Wakeups()
        {
            lock (waiting)
            {
                return wakeups;
            }
        }

        private bool Closed()
        {
            return closed;
        }

        /// <summary>
        /// Blocks until the doorbell rings or closes, unless it did since <paramref name="seen"/>
        /// (taken before the caller announced its sleep, so no ring for that announcement is missed).
        /// </summary>
        private void WaitForBell(long seen)
        {
            lock (waiting)
            {
                if (wakeups != seen || closed)
                {
                    return;
                }
                if (listening)
                {
                    // The listener wakes us with whatever it reads.
                    Monitor.Wait(waiting);
                    return;
                }
                listening = true;
            }
            int read = -1;
            try
            {
                read = bell.Receive(rings, 0, rings.Length, SocketFlags.None);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                read = 0;
            }
            finally
            {
                lock (waiting)
                {
                    listening = false;
                    wakeups++;
                    if (read == 0)
                    {
                        closed = true;
                    }
                    Monitor.PulseAll(waiting);
                }
            }
        }

        public void Dispose()
        {
            try
            {
                bell.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
            bell.Close();
            lock (waiting)
            {
                closed = true;
                Monitor.PulseAll(waiting);
            }
            end.Dispose();
        }
    }
}
