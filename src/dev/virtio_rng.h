/* virtio-rng over PCI with MSI-X (virtio 1.1 §4.1 "Virtio Over PCI Bus", §5.4 "Entropy
 * Device"): the modern interface only, one request queue of a few buffers.  Its use here is a
 * message-signalled interrupt on demand: a buffer handed to the device comes back filled, and
 * the device signals the queue's MSI-X vector. */
#ifndef CADRE_VIRTIO_RNG_H
#define CADRE_VIRTIO_RNG_H

#include "irq/msi.h"

/* Finds the device, sets it up (features, one queue, MSI-X vectors for config changes and
 * the queue), or prints why not; a line when there is none. */
void virtio_rng_init(void);
bool virtio_rng_present(void);
/* The queue's vector (MSI-X entry 1) and the config-change one (entry 0). */
struct msi_irq *virtio_rng_queue_msi(void);
struct msi_irq *virtio_rng_config_msi(void);
struct pci_dev *virtio_rng_pci(void);
/* Hands the device one buffer; false if every buffer is out. */
bool virtio_rng_request(void);
/* Buffers returned (queue interrupts served), and entropy bytes received. */
uint64_t virtio_rng_arrivals(void);
uint64_t virtio_rng_bytes(void);

#endif
