"""Short Chinese titles of IPC sections and of the subclasses common on the site, for reasons and
labels ("H01M 电池"). Condensed from the IPC scheme's own titles; a subclass not listed falls back to
its section's title."""

from __future__ import annotations

SECTIONS = {"A": "人类生活必需", "B": "作业、运输", "C": "化学、冶金", "D": "纺织、造纸", "E": "固定建筑物",
            "F": "机械工程、照明、加热", "G": "物理", "H": "电学"}

_TITLES = """
A01B 农业耕作 A01C 种植、播种、施肥 A01D 收获 A01F 脱粒、农产品贮存 A01G 园艺、栽培、林业 A01K 畜牧、养殖
A01M 病虫害防治器械 A01N 农药、杀虫剂、植物生长调节剂 A01P 杀生物活性 A21C 面团加工机械 A21D 焙烤食品
A22C 肉类加工 A23B 食品保存 A23K 饲料 A23L 食品、食料 A23N 果蔬加工机械 A23P 食品成型与加工 A24F 烟具
A41D 服装 A45C 箱包 A47B 桌、柜等家具 A47C 椅、床 A47F 商店陈列设备 A47G 家用器具 A47J 厨房用具 A47L 家庭清洁
A61B 医学诊断、测量 A61C 牙科 A61F 医用敷料、假体 A61G 病人运送、护理设备 A61H 理疗、康复器械 A61J 医药容器
A61K 医用、牙科或化妆用配制品 A61L 消毒、医用材料 A61M 医疗器械（输液、注射） A61N 电疗、放射治疗 A61P 药物的治疗活性
A61Q 化妆品 A62B 救生 A62C 消防 A63B 体育器材 A63F 游戏 A63H 玩具
B01B 沸腾 B01D 分离、过滤、除尘 B01F 混合、搅拌 B01J 化学反应、催化剂 B01L 实验室设备 B02B 谷物加工 B02C 粉碎、研磨
B03B 湿法分选 B03C 磁选、静电分离 B04B 离心机 B05B 喷涂、喷嘴 B05C 涂布设备 B05D 涂布方法 B06B 振动
B07B 筛分 B07C 分拣 B08B 清洁 B09B 固体废物处理 B09C 土壤修复 B21B 轧制 B21C 拔丝、挤压 B21D 冲压、钣金加工
B21F 金属线加工 B21J 锻造 B22C 铸型 B22D 铸造 B22F 金属粉末加工 B23B 车削、钻削 B23C 铣削 B23D 刨削、锯切
B23K 焊接、切割 B23P 金属加工组合工艺 B23Q 机床附件、夹具 B24B 磨削、抛光 B24C 喷砂 B25B 扳手、夹持工具
B25F 组合工具 B25H 工作台、工具架 B25J 机械手、机器人 B26B 刀具 B26D 切割、冲孔 B26F 穿孔、切断
B27B 木材锯切 B27C 木材加工 B28B 陶瓷、水泥制品成型 B28C 黏土、混凝土搅拌 B28D 石材加工 B29B 塑料原料预处理
B29C 塑料成型、注塑 B29D 塑料制品 B29K 塑料材料 B29L 塑料制品类型 B30B 压力机 B31B 纸盒制作 B32B 层状产品、复合板
B33Y 增材制造（3D打印） B41F 印刷机 B41J 打印机 B60B 车轮 B60H 车辆空调 B60K 车辆动力装置 B60L 电动车辆、电力牵引
B60P 载货车辆 B60R 车辆附件、车载电气 B60S 车辆清洁与维护 B60T 车辆制动 B60W 车辆驾驶控制 B61B 铁路系统
B61D 铁路车辆 B62B 手推车 B62D 汽车底盘、车身 B62J 自行车附件 B62K 自行车、摩托车 B63B 船舶 B63C 船舶下水、救援
B63H 船舶推进 B64C 飞机、直升机 B64D 飞行器设备 B64F 机场地面设备 B64U 无人机 B65B 包装 B65D 容器、包装件
B65F 垃圾收集 B65G 输送、仓储 B65H 卷材、线材处理 B66B 电梯 B66C 起重机 B66D 绞车、卷扬 B66F 升降、顶举
B67C 灌装 B67D 液体分配 B81B 微结构器件 B82Y 纳米技术
C01B 非金属元素及其化合物 C01D 碱金属化合物 C01F 铝、镁等化合物 C01G 金属化合物 C02F 水、废水、污水处理
C03B 玻璃制造 C03C 玻璃化学成分 C04B 水泥、混凝土、陶瓷 C05B 磷肥 C05F 有机肥料 C05G 肥料混合物
C07B 有机化学一般方法 C07C 无环或碳环化合物 C07D 杂环化合物 C07F 含金属有机化合物 C07H 糖类、核苷 C07J 甾族化合物
C07K 肽、蛋白质、抗体 C08B 多糖、纤维素 C08F 烯类聚合物 C08G 缩聚高分子 C08J 高分子加工、薄膜 C08K 高分子配合剂
C08L 高分子组合物 C09B 染料 C09D 涂料、油墨 C09J 黏合剂 C09K 功能材料（发光、阻燃、密封） C10B 焦化 C10G 石油加工
C10J 气化 C10L 燃料 C10M 润滑剂 C11D 洗涤剂 C12M 酶学、微生物设备 C12N 微生物、酶、基因工程 C12P 发酵、生物合成
C12Q 核酸、酶检测 C12R 微生物类型 C13K 糖类 C21B 炼铁 C21D 热处理 C22B 有色金属冶炼 C22C 合金 C22F 有色金属加工
C23C 表面镀覆、涂层 C23F 金属防腐 C23G 金属清洗 C25B 电解制备（制氢等） C25D 电镀 C30B 晶体生长
D01D 纤维纺丝 D01F 化学纤维 D01H 纺纱 D02G 纱线 D03D 织造 D04B 针织 D04H 无纺布 D06B 纺织品处理 D06C 织物整理
D06F 洗衣、熨烫 D06M 纤维处理、功能整理 D06P 染色、印花 D21F 造纸机 D21H 纸、浆料
E01B 铁路轨道 E01C 道路、路面 E01D 桥梁 E01F 道路附属设施 E01H 街道清洁 E02B 水利工程 E02D 地基、基础 E02F 挖掘
E03B 供水 E03C 给排水设施 E03D 冲洗 E03F 排水、下水道 E04B 建筑结构 E04C 建筑构件 E04D 屋面 E04F 建筑装修
E04G 脚手架、模板 E04H 特殊建筑物 E05B 锁 E05D 铰链 E05F 门窗开关装置 E06B 门窗 E21B 钻井、采油 E21C 采矿
E21D 隧道、竖井 E21F 矿山安全
F01D 涡轮机 F01K 蒸汽动力装置 F01N 排气净化 F02B 内燃机 F02M 燃油供给 F03B 水力机械 F03D 风力发电机
F03G 其他动力机械 F04B 容积泵 F04D 离心泵、风机 F15B 液压、气动系统 F16B 紧固件 F16C 轴、轴承 F16D 联轴器、离合器、制动器
F16F 弹簧、减振 F16H 传动装置、齿轮 F16J 密封 F16K 阀门 F16L 管道、管接头 F16M 支架、机座 F16N 润滑
F16P 安全防护装置 F16S 结构元件 F17C 气瓶、储气 F17D 管道输送 F21K 光源 F21L 便携灯具 F21S 照明装置
F21V 灯具部件 F21W 照明用途 F21Y 光源形式 F22B 锅炉 F23C 燃烧方法 F23G 焚烧 F23J 烟气处理 F23N 燃烧控制
F24B 炉灶 F24C 灶具 F24D 供暖 F24F 空调、通风 F24H 热水器 F24S 太阳能集热 F24T 地热 F24V 其他热源 F25B 制冷系统
F25D 冰箱、冷库 F25J 气体液化分离 F26B 干燥 F27B 炉、窑 F27D 炉窑部件 F28C 直接热交换 F28D 热交换器 F28F 换热部件
F28G 换热器清洁 F41A 武器 F41H 防护装甲 F42B 弹药
G01B 长度、形状测量 G01C 测绘、导航 G01D 计量、仪表 G01F 流量、液位测量 G01G 称重 G01H 振动测量 G01J 光学测量
G01K 温度测量 G01L 力、压力测量 G01M 机器与结构检测 G01N 材料分析、检测 G01P 速度测量 G01Q 扫描探针
G01R 电量测量、电气故障检测 G01S 雷达、定位 G01T 辐射测量 G01V 地球物理勘探 G01W 气象 G02B 光学元件
G02C 眼镜 G02F 光控制（液晶） G03B 摄影、投影 G03F 光刻 G03G 电子照相 G04G 电子计时器 G05B 自动控制、工业控制
G05D 非电量控制 G05F 电压电流调节 G06F 电数字数据处理、计算机 G06G 模拟计算 G06K 数据识别与记录载体 G06M 计数
G06N 人工智能、神经网络 G06Q 商业、管理数据处理 G06T 图像处理 G06V 图像与视频识别 G07B 收费 G07C 考勤、监控记录
G07D 钞票处理 G07F 自动售货、支付终端 G08B 报警、信号系统 G08C 遥测、遥控传输 G08G 交通控制 G09B 教学、演示器材
G09F 标识、显示牌 G09G 显示控制 G10K 声学器件 G10L 语音识别与处理 G11B 信息存储介质 G11C 存储器
G16B 生物信息学 G16C 化学信息学 G16H 医疗信息学 G16Y 物联网 G21C 核反应堆 G21F 辐射防护
H01B 电缆、导体 H01C 电阻器 H01F 磁体、电感、变压器 H01G 电容器 H01H 开关、继电器 H01J 电子管 H01K 白炽灯
H01L 半导体器件 H01M 电池、燃料电池 H01P 波导 H01Q 天线 H01R 电连接器 H01S 激光器 H01T 火花隙
H02B 配电柜、开关设备 H02G 电缆敷设 H02H 电路保护 H02J 供配电、电能存储与充电 H02K 电机 H02M 电能变换（逆变、整流）
H02N 其他发电机 H02P 电机控制 H02S 光伏发电 H03F 放大器 H03K 脉冲电路 H03M 编码 H04B 传输 H04J 多路复用
H04L 数字信息传输、网络通信 H04M 电话通信 H04N 图像通信、视频 H04Q 选择、物联网通信 H04R 扬声器、麦克风
H04W 无线通信网络 H05B 电热、照明电路 H05K 电路板、电子设备结构、散热 H10B 存储器件 H10K 有机电子器件
H10N 热电、超导器件
"""

SUBCLASS_TITLES: dict[str, str] = dict(zip(_TITLES.split()[::2], _TITLES.split()[1::2], strict=True))


def subclass_title(subclass: str) -> str:
    """"电池、燃料电池" for H01M; the section's title for a subclass not in the table."""
    subclass = subclass.upper()
    return SUBCLASS_TITLES.get(subclass) or SECTIONS.get(subclass[:1], "")


def subclass_label(subclass: str) -> str:
    """"H01M 电池、燃料电池"."""
    title = subclass_title(subclass)
    return f"{subclass.upper()} {title}" if title else subclass.upper()
