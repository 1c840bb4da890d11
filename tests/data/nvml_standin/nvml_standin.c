/*
 * A stand-in libnvidia-ml.so.1 for hosts without an NVIDIA GPU: the real pynvml loads it
 * (LD_LIBRARY_PATH) and drives provider/metering.py's NVML path through the same C calls
 * the driver's library answers. Its GPUs come from the file named by NVML_STANDIN_STATE,
 * re-read on every call so a test can change what the next sample sees. One GPU a line:
 *
 *   UUID NAME MEMORY_TOTAL_BYTES UTIL_PERCENT MEMORY_USED_BYTES ENERGY_MJ POWER_MW STATE
 *
 * NAME uses '_' for spaces; STATE is "ok", or "lost" (every query of it then fails as a
 * fallen-off-the-bus GPU does, NVML_ERROR_GPU_IS_LOST); ENERGY_MJ "-" means the counter is
 * not supported (NVML_ERROR_NOT_SUPPORTED), as on GPUs older than Volta.
 * Built by provider/runtime_testing.py: cc -shared -fPIC -o libnvidia-ml.so.1 nvml_standin.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_NOT_FOUND 6
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_GPU_IS_LOST 15
#define NVML_ERROR_UNKNOWN 999
#define MAX_GPUS 16

typedef struct {
    char uuid[96];
    char name[96];
    unsigned long long memory_total;
    unsigned int util_percent;
    unsigned long long memory_used;
    long long energy_mj; /* -1: not supported */
    unsigned int power_mw;
    int lost;
} standin_gpu;

typedef struct { unsigned long long total, free, used; } nvml_memory;
typedef struct { unsigned int gpu, memory; } nvml_utilization;

static standin_gpu gpus[MAX_GPUS];
static unsigned int gpu_count;
static int initialized;

static void load_state(void) {
    gpu_count = 0;
    const char *path = getenv("NVML_STANDIN_STATE");
    if (path == NULL) return;
    FILE *file = fopen(path, "r");
    if (file == NULL) return;
    char line[512], energy[32], state[16];
    while (gpu_count < MAX_GPUS && fgets(line, sizeof line, file) != NULL) {
        standin_gpu *gpu = &gpus[gpu_count];
        if (sscanf(line, "%95s %95s %llu %u %llu %31s %u %15s", gpu->uuid, gpu->name,
                   &gpu->memory_total, &gpu->util_percent, &gpu->memory_used, energy,
                   &gpu->power_mw, state) != 8)
            continue;
        for (char *c = gpu->name; *c; c++)
            if (*c == '_') *c = ' ';
        gpu->energy_mj = strcmp(energy, "-") == 0 ? -1 : atoll(energy);
        gpu->lost = strcmp(state, "lost") == 0;
        gpu_count++;
    }
    fclose(file);
}

/* A handle is the GPU's index plus one, so it stays valid when the state file is re-read. */
static int gpu_of(void *handle, standin_gpu **gpu) {
    size_t index = (size_t)handle;
    if (!initialized) return NVML_ERROR_UNINITIALIZED;
    load_state();
    if (index == 0 || index > gpu_count) return NVML_ERROR_INVALID_ARGUMENT;
    *gpu = &gpus[index - 1];
    return (*gpu)->lost ? NVML_ERROR_GPU_IS_LOST : NVML_SUCCESS;
}

static int copy_text(const char *text, char *out, unsigned int size) {
    if (out == NULL || strlen(text) + 1 > size) return NVML_ERROR_INSUFFICIENT_SIZE;
    strcpy(out, text);
    return NVML_SUCCESS;
}

int nvmlInitWithFlags(unsigned int flags) { (void)flags; initialized = 1; return NVML_SUCCESS; }
int nvmlInit_v2(void) { return nvmlInitWithFlags(0); }
int nvmlShutdown(void) { initialized = 0; return NVML_SUCCESS; }

const char *nvmlErrorString(int result) {
    switch (result) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_NOT_FOUND: return "Not Found";
    case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
    case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
    default: return "Unknown Error";
    }
}

int nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    return copy_text("stand-in", version, length);
}

int nvmlDeviceGetCount_v2(unsigned int *count) {
    if (!initialized) return NVML_ERROR_UNINITIALIZED;
    load_state();
    *count = gpu_count;
    return NVML_SUCCESS;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, void **handle) {
    if (!initialized) return NVML_ERROR_UNINITIALIZED;
    load_state();
    if (index >= gpu_count) return NVML_ERROR_INVALID_ARGUMENT;
    *handle = (void *)(size_t)(index + 1);
    return NVML_SUCCESS;
}

int nvmlDeviceGetHandleByUUID(const char *uuid, void **handle) {
    if (!initialized) return NVML_ERROR_UNINITIALIZED;
    load_state();
    for (unsigned int i = 0; i < gpu_count; i++)
        if (strcmp(gpus[i].uuid, uuid) == 0) {
            *handle = (void *)(size_t)(i + 1);
            return NVML_SUCCESS;
        }
    return NVML_ERROR_NOT_FOUND;
}

int nvmlDeviceGetName(void *handle, char *name, unsigned int length) {
    standin_gpu *gpu;
    int result = gpu_of(handle, &gpu);
    return result != NVML_SUCCESS ? result : copy_text(gpu->name, name, length);
}

int nvmlDeviceGetUUID(void *handle, char *uuid, unsigned int length) {
    standin_gpu *gpu;
    int result = gpu_of(handle, &gpu);
    return result != NVML_SUCCESS ? result : copy_text(gpu->uuid, uuid, length);
}

int nvmlDeviceGetMemoryInfo(void *handle, nvml_memory *memory) {
    standin_gpu *gpu;
    int result = gpu_of(handle, &gpu);
    if (result != NVML_SUCCESS) return result;
    memory->total = gpu->memory_total;
    memory->used = gpu->memory_used;
    memory->free = gpu->memory_total - gpu->memory_used;
    return NVML_SUCCESS;
}

int nvmlDeviceGetUtilizationRates(void *handle, nvml_utilization *utilization) {
    standin_gpu *gpu;
    int result = gpu_of(handle, &gpu);
    if (result != NVML_SUCCESS) return result;
    utilization->gpu = gpu->util_percent;
    utilization->memory = gpu->util_percent;
    return NVML_SUCCESS;
}

int nvmlDeviceGetTotalEnergyConsumption(void *handle, unsigned long long *energy) {
    standin_gpu *gpu;
    int result = gpu_of(handle, &gpu);
    if (result != NVML_SUCCESS) return result;
    if (gpu->energy_mj < 0) return NVML_ERROR_NOT_SUPPORTED;
    *energy = (unsigned long long)gpu->energy_mj;
    return NVML_SUCCESS;
}

int nvmlDeviceGetPowerUsage(void *handle, unsigned int *power) {
    standin_gpu *gpu;
    int result = gpu_of(handle, &gpu);
    if (result != NVML_SUCCESS) return result;
    *power = gpu->power_mw;
    return NVML_SUCCESS;
}
