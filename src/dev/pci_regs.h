/* PCI configuration space: the registers cadre reads and writes (PCI Local Bus Specification
 * 3.0, §6.1 "Configuration Space Organization", §6.2.5 "Base Addresses", §6.7 "Capabilities
 * List", §6.8 "Message Signaled Interrupts").  One place for each number; plain C, so the
 * host-side tests use it too. */
#ifndef CADRE_PCI_REGS_H
/* clang-format off: register bits stay indented under their register */
#define CADRE_PCI_REGS_H

/* The predefined header (§6.1, figure 6-1) */
#define PCI_VENDOR_ID 0x00
#define PCI_VENDOR_NONE 0xffff /* what a read of an absent function returns (§6.2.1) */
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004 /* bus master: needed to send a message (§6.8) */
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_REVISION 0x08
#define PCI_PROG_IF 0x09
#define PCI_SUBCLASS 0x0a
#define PCI_CLASS 0x0b
#define PCI_HEADER_TYPE 0x0e
#define PCI_HEADER_TYPE_MASK 0x7f
#define PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_HEADER_NORMAL 0
#define PCI_HEADER_BRIDGE 1
#define PCI_BAR0 0x10
#define PCI_BARS 6 /* type 0 header; a type 1 (bridge) header has 2 */
#define PCI_BRIDGE_BARS 2
#define PCI_BAR_IO 0x1 /* bit 0: I/O space */
#define PCI_BAR_IO_MASK 0xfffffffcu
#define PCI_BAR_MEM_TYPE_MASK 0x6
#define PCI_BAR_MEM_TYPE_32 0x0
#define PCI_BAR_MEM_TYPE_1M 0x2 /* reserved in 3.0 */
#define PCI_BAR_MEM_TYPE_64 0x4
#define PCI_BAR_MEM_PREFETCH 0x8
#define PCI_BAR_MEM_MASK 0xfffffff0u
#define PCI_SECONDARY_BUS 0x19 /* type 1 header (PCI-to-PCI Bridge spec 1.2 §3.2) */
#define PCI_CAP_PTR 0x34
#define PCI_CAP_PTR_MASK 0xfc /* the bottom two bits are reserved (§6.7) */
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_HEADER_END 0x40  /* capabilities sit after the header */
#define PCI_CFG_SIZE 0x100   /* conventional configuration space */
#define PCIE_CFG_SIZE 0x1000 /* with PCIe's extended space, through ECAM */

/* A capability's first two bytes (§6.7) */
#define PCI_CAP_ID 0
#define PCI_CAP_NEXT 1
#define PCI_CAP_ID_PM 0x01
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_VENDOR 0x09
#define PCI_CAP_ID_PCIE 0x10
#define PCI_CAP_ID_MSIX 0x11

/* The MSI capability (§6.8.1, figures 6-9 .. 6-12) */
#define PCI_MSI_CONTROL 2
#define PCI_MSI_ENABLE 0x0001
#define PCI_MSI_MMC_SHIFT 1 /* multiple message capable: log2 of the vectors */
#define PCI_MSI_MME_SHIFT 4 /* multiple message enable */
#define PCI_MSI_MM_MASK 0x7
#define PCI_MSI_64BIT 0x0080
#define PCI_MSI_MASKABLE 0x0100 /* per-vector masking */
#define PCI_MSI_ADDR_LO 4
#define PCI_MSI_ADDR_HI 8 /* 64-bit form only */
#define PCI_MSI_DATA_32 8
#define PCI_MSI_DATA_64 12
#define PCI_MSI_MASK_32 12
#define PCI_MSI_MASK_64 16
#define PCI_MSI_PENDING_32 16
#define PCI_MSI_PENDING_64 20

/* The MSI-X capability (§6.8.2, figure 6-10) and its table entries (figure 6-11) */
#define PCI_MSIX_CONTROL 2
#define PCI_MSIX_TABLE_SIZE_MASK 0x07ff /* N - 1 */
#define PCI_MSIX_FUNCTION_MASK 0x4000
#define PCI_MSIX_ENABLE 0x8000
#define PCI_MSIX_TABLE 4
#define PCI_MSIX_PBA 8
#define PCI_MSIX_BIR_MASK 0x7
#define PCI_MSIX_ENTRY_SIZE 16
#define PCI_MSIX_ENTRY_ADDR_LO 0
#define PCI_MSIX_ENTRY_ADDR_HI 4
#define PCI_MSIX_ENTRY_DATA 8
#define PCI_MSIX_ENTRY_CONTROL 12
#define PCI_MSIX_ENTRY_MASKED 0x1
#define PCI_MSIX_MAX_VECTORS 2048
/* clang-format on */

#endif
